import ArgumentParser

@main
struct Larder: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "larder",
        abstract: "A disk-backed HTTP caching proxy: forward or reverse, one pipeline.",
        subcommands: [
            Serve.self, CheckConfig.self, StatsCommand.self, ListCommand.self, InspectCommand.self, PurgeCommand.self,
            WarmCommand.self,
        ],
        defaultSubcommand: Serve.self
    )
}
