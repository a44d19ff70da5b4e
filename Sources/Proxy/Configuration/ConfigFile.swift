import NIOCore
import Upstream
import Yams

/// Reads a YAML config file onto a ``ProxyConfiguration``.
///
/// Every key is known in advance (``ConfigFile/keys``): an unknown key, a value of the wrong shape,
/// or a YAML syntax error is reported with its line, and nothing is applied from a file that has
/// any error. Keys that are absent keep the values already in the configuration.
public enum ConfigFile {
    /// Applies the YAML text onto `configuration`.
    public static func apply(yaml text: String, to configuration: inout ProxyConfiguration) throws(ConfigurationError) {
        let root: Node?
        do {
            root = try Yams.compose(yaml: text)
        } catch let error as YamlError {
            throw Self.syntaxError(error)
        } catch {
            throw ConfigurationError("cannot parse YAML: \(error)")
        }
        guard let root else { return }  // an empty file changes nothing
        var result = configuration
        try Self.walk(root, path: "", into: &result)
        try result.validate()
        configuration = result
    }

    /// Reads and applies a file.
    public static func apply(file path: String, to configuration: inout ProxyConfiguration) throws(ConfigurationError) {
        guard let data = FileReader.contents(of: path) else {
            throw ConfigurationError("cannot read config file \(path)")
        }
        try Self.apply(yaml: data, to: &configuration)
    }

    private static func walk(_ node: Node, path: String, into configuration: inout ProxyConfiguration)
        throws(ConfigurationError)
    {
        guard case .mapping(let mapping) = node else {
            throw ConfigurationError(
                path.isEmpty ? "the file must be a mapping of keys" : "\(path) must be a mapping",
                line: node.mark?.line)
        }
        for (keyNode, value) in mapping {
            guard let key = keyNode.string else {
                throw ConfigurationError("keys must be strings", line: keyNode.mark?.line)
            }
            let fullKey = path.isEmpty ? key : "\(path).\(key)"
            if let setter = Self.keys[fullKey] {
                do {
                    try setter.apply(value, &configuration)
                } catch {
                    throw ConfigurationError(
                        "\(error.path.map { "\(fullKey)\($0)" } ?? fullKey): \(error.message)",
                        line: error.line ?? value.mark?.line ?? keyNode.mark?.line)
                }
            } else if Self.sections.contains(fullKey) {
                try Self.walk(value, path: fullKey, into: &configuration)
            } else {
                throw ConfigurationError("unknown key '\(fullKey)'", line: keyNode.mark?.line)
            }
        }
    }

    private static func syntaxError(_ error: YamlError) -> ConfigurationError {
        switch error {
        case .scanner(_, let problem, let mark, _), .parser(_, let problem, let mark, _),
            .composer(_, let problem, let mark, _):
            return ConfigurationError("YAML syntax: \(problem)", line: mark.line)
        default:
            return ConfigurationError("YAML syntax: \(error)")
        }
    }

    // MARK: The schema

    /// A key's setter: checks the shape of the value and stores it.
    struct Setter {
        let apply: @Sendable (Node, inout ProxyConfiguration) throws(ValueError) -> Void
    }

    struct ValueError: Error {
        let message: String
        /// Where inside the key's value the problem is (`[1].default_ttl`), and its line, for nested values.
        var path: String?
        var line: Int?
        init(_ message: String, path: String? = nil, line: Int? = nil) {
            self.message = message
            self.path = path
            self.line = line
        }
    }

    /// Sections that hold further keys.
    static let sections: Set<String> = [
        "cache", "cache.coalescing", "limits", "timeouts", "upstream_pool", "forward", "reverse", "log",
    ]

    /// Every leaf key, by its dotted path.
    static let keys: [String: Setter] = [
        "mode": .enumeration(\.mode),
        "listen": .listenAddress(\.listen),
        "admin": Setter { node, configuration throws(ValueError) in
            let text = try scalar(node)
            if text == "off" {
                configuration.admin = nil
            } else {
                guard let address = ListenAddress(parsing: text) else { throw ValueError("expected HOST:PORT or off") }
                configuration.admin = address
            }
        },
        "admin_token": Setter { node, configuration throws(ValueError) in
            let text = try scalar(node)
            guard !text.isEmpty, !text.contains(where: { $0 == " " || $0 == "\t" }) else {
                throw ValueError("expected a token without spaces")
            }
            configuration.adminToken = text
        },
        "via": .string(\.viaName),
        "workers": Setter { node, configuration throws(ValueError) in
            let text = try scalar(node)
            if text == "auto" {
                configuration.workers = nil
            } else {
                guard let count = Int(text), (1...256).contains(count) else {
                    throw ValueError("expected a number of threads from 1 to 256, or auto")
                }
                configuration.workers = count
            }
        },
        "upstreams": Setter { node, configuration throws(ValueError) in
            guard case .sequence(let items) = node else { throw ValueError("expected a list of URLs") }
            var origins: [Origin] = []
            for item in items {
                let text = try scalar(item)
                guard let origin = Origin(url: text), origin.scheme == "http" else {
                    throw ValueError("'\(text)' is not an http://host[:port] URL")
                }
                origins.append(origin)
            }
            configuration.upstreams = origins
        },
        "cache.enabled": .boolean(\.cacheEnabled),
        "cache.dir": .string(\.cacheDirectory),
        "cache.size": .size(\.cacheSize),
        "cache.max_object_size": Setter { node, configuration throws(ValueError) in
            let text = try scalar(node)
            guard let bytes = Units.parseSize(text), bytes > 0 else {
                throw ValueError("'\(text)' is not a size (like 512MiB, 10GiB or plain bytes)")
            }
            configuration.cacheMaxObjectSize = bytes
        },
        "cache.default_ttl": Setter { node, configuration throws(ValueError) in
            let text = try scalar(node)
            if text == "off" {
                configuration.cacheDefaultTTL = nil
            } else {
                guard let duration = Units.parseDuration(text) else {
                    throw ValueError("'\(text)' is not a duration (like 500ms, 30s, 5m) or off")
                }
                configuration.cacheDefaultTTL = duration.nanoseconds / 1_000_000_000
            }
        },
        "cache.ignore_query_parameters": Setter { node, configuration throws(ValueError) in
            guard case .sequence(let items) = node else { throw ValueError("expected a list of parameter names") }
            var names: [String] = []
            for item in items {
                let name = try scalar(item)
                guard !name.isEmpty else { throw ValueError("parameter names must not be empty") }
                names.append(name)
            }
            configuration.cacheIgnoredQueryParameters = names
        },
        "cache.targeted_field": .string(\.cacheTargetedField),
        "cache.coalescing.wait_timeout": .duration(\.coalescing.waitTimeout),
        "cache.coalescing.remember_uncacheable": .duration(\.coalescing.uncacheableMemory),
        "cache.coalescing.abandoned_fill_limit": Setter { node, configuration throws(ValueError) in
            let text = try scalar(node)
            if text == "unlimited" {
                configuration.coalescing.abandonedFillLimit = nil
            } else {
                guard let bytes = Units.parseSize(text) else {
                    throw ValueError("'\(text)' is not a size (like 64MiB, or 0 to stop with the client) or unlimited")
                }
                configuration.coalescing.abandonedFillLimit = bytes
            }
        },
        "cache.status_key": .boolean(\.cacheStatusKey),
        "cache.send_from": .enumeration(\.cacheSendFrom),
        "cache.overrides": Setter { node, configuration throws(ValueError) in
            configuration.cacheOverrides = try ConfigFile.overrides(node)
        },
        "limits.request_line": .size(\.limits.maxRequestLineBytes),
        "limits.header_bytes": .size(\.limits.maxHeaderBytes),
        "limits.header_count": .integer(\.limits.maxHeaderCount),
        "limits.request_body": .size(\.limits.maxBodyBytes),
        "limits.chunk_line": .size(\.limits.maxChunkLineBytes),
        "timeouts.header_read": .duration(\.headerReadTimeout),
        "timeouts.keep_alive": .duration(\.keepAliveTimeout),
        "timeouts.shutdown": .duration(\.shutdownTimeout),
        "timeouts.upstream_connect": .duration(\.upstream.connectTimeout),
        "timeouts.upstream_read": .duration(\.upstream.readTimeout),
        "timeouts.upstream_idle": .duration(\.upstream.idleTimeout),
        "upstream_pool.max_idle_per_origin": .integer(\.upstream.maxIdlePerOrigin),
        "forward.allow_private_targets": Setter { node, configuration throws(ValueError) in
            switch try scalar(node).lowercased() {
            case "auto": configuration.allowPrivateTargets = nil
            case "true", "yes", "on": configuration.allowPrivateTargets = true
            case "false", "no", "off": configuration.allowPrivateTargets = false
            default: throw ValueError("expected true, false or auto")
            }
        },
        "forward.connect_ports": Setter { node, configuration throws(ValueError) in
            guard case .sequence(let items) = node else { throw ValueError("expected a list of ports") }
            var ports: Set<Int> = []
            for item in items {
                guard let port = Int(try scalar(item)), (1...65535).contains(port) else {
                    throw ValueError("expected ports between 1 and 65535")
                }
                ports.insert(port)
            }
            configuration.connectPorts = ports
        },
        "reverse.preserve_host": .boolean(\.preserveHost),
        "log.access": .boolean(\.accessLog),
        "log.format": .enumeration(\.logFormat),
        "log.level": Setter { node, configuration throws(ValueError) in
            let text = try scalar(node)
            guard LogLevelName.all.contains(text) else {
                throw ValueError("expected one of \(LogLevelName.all.joined(separator: ", "))")
            }
            configuration.logLevel = text
        },
    ]

    static func scalar(_ node: Node) throws(ValueError) -> String {
        guard case .scalar(let scalar) = node else { throw ValueError("expected a single value") }
        return scalar.string
    }
}

/// The log levels swift-log knows, by name.
public enum LogLevelName {
    public static let all = ["trace", "debug", "info", "notice", "warning", "error", "critical"]
}

extension ConfigFile.Setter {
    typealias ValueError = ConfigFile.ValueError

    static func string(_ keyPath: any WritableKeyPath<ProxyConfiguration, String> & Sendable) -> Self {
        Self { node, configuration throws(ValueError) in
            let text = try ConfigFile.scalar(node)
            guard !text.isEmpty else { throw ValueError("must not be empty") }
            configuration[keyPath: keyPath] = text
        }
    }

    static func boolean(_ keyPath: any WritableKeyPath<ProxyConfiguration, Bool> & Sendable) -> Self {
        Self { node, configuration throws(ValueError) in
            switch try ConfigFile.scalar(node).lowercased() {
            case "true", "yes", "on": configuration[keyPath: keyPath] = true
            case "false", "no", "off": configuration[keyPath: keyPath] = false
            default: throw ValueError("expected true or false")
            }
        }
    }

    static func integer(_ keyPath: any WritableKeyPath<ProxyConfiguration, Int> & Sendable) -> Self {
        Self { node, configuration throws(ValueError) in
            guard let value = Int(try ConfigFile.scalar(node)), value >= 0 else {
                throw ValueError("expected a whole number")
            }
            configuration[keyPath: keyPath] = value
        }
    }

    static func size<Value: FixedWidthInteger & Sendable>(
        _ keyPath: any WritableKeyPath<ProxyConfiguration, Value> & Sendable
    ) -> Self {
        Self { node, configuration throws(ValueError) in
            let text = try ConfigFile.scalar(node)
            guard let bytes = Units.parseSize(text), let value = Value(exactly: bytes) else {
                throw ValueError("'\(text)' is not a size (like 512MiB, 10GiB or plain bytes)")
            }
            configuration[keyPath: keyPath] = value
        }
    }

    static func duration(_ keyPath: any WritableKeyPath<ProxyConfiguration, TimeAmount> & Sendable) -> Self {
        Self { node, configuration throws(ValueError) in
            let text = try ConfigFile.scalar(node)
            guard let duration = Units.parseDuration(text) else {
                throw ValueError("'\(text)' is not a duration (like 500ms, 30s, 5m)")
            }
            configuration[keyPath: keyPath] = duration
        }
    }

    static func listenAddress(_ keyPath: any WritableKeyPath<ProxyConfiguration, ListenAddress> & Sendable) -> Self {
        Self { node, configuration throws(ValueError) in
            let text = try ConfigFile.scalar(node)
            guard let address = ListenAddress(parsing: text) else { throw ValueError("expected HOST:PORT") }
            configuration[keyPath: keyPath] = address
        }
    }

    static func enumeration<Value: RawRepresentable & CaseIterable & Sendable>(
        _ keyPath: any WritableKeyPath<ProxyConfiguration, Value> & Sendable
    ) -> Self where Value.RawValue == String {
        Self { node, configuration throws(ValueError) in
            let text = try ConfigFile.scalar(node)
            guard let value = Value(rawValue: text) else {
                throw ValueError("expected one of \(Value.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            configuration[keyPath: keyPath] = value
        }
    }
}
