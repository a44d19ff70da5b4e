import ArgumentParser
import Proxy

extension ProxyConfiguration {
    /// The built-in defaults with the config file at `path` applied (just the defaults without one); a
    /// bad file is a command-line error naming the file, its line and the problem.
    static func loading(file path: String?) throws -> ProxyConfiguration {
        var configuration = ProxyConfiguration()
        guard let path else { return configuration }
        do {
            try ConfigFile.apply(file: path, to: &configuration)
        } catch {
            throw ValidationError("\(path): \(error)")
        }
        return configuration
    }
}
