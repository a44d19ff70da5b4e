import ArgumentParser
import Proxy

#if canImport(Glibc)
import Glibc
#endif

/// `larder check-config FILE`: validate a config file without starting anything.
struct CheckConfig: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check-config",
        abstract: "Check a config file; names the bad key and its line, exits non-zero on any problem."
    )

    @Argument(help: "The YAML config file.")
    var file: String

    func run() throws {
        var configuration = ProxyConfiguration()
        do {
            try ConfigFile.apply(file: self.file, to: &configuration)
        } catch {
            printError("\(self.file): \(error)")
            throw ExitCode(2)
        }
        print("\(self.file): ok (\(configuration.mode.rawValue) mode, listening on \(configuration.listen))")
    }
}

func printError(_ message: String) {
    writeOut(message + "\n", to: STDERR_FILENO)
}
