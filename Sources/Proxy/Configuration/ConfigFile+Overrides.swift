import CachePolicy
import NIOCore
import Yams

/// `cache.overrides`: a list of per-host / per-path exceptions, each read into a ``CacheOverride``.
///
/// ```yaml
/// cache:
///   overrides:
///     - host: mirror.example.org   # exact, or *.example.org for subdomains
///       path: /debian/pool/        # path prefix
///       default_ttl: 24h
///     - path: /api/
///       enabled: false             # bypass the cache
/// ```
extension ConfigFile {
    /// The keys an override may have.
    static let overrideKeys = [
        "host", "path", "enabled", "default_ttl", "heuristic_percent", "heuristic_max", "ignore_query_parameters",
    ]

    static func overrides(_ node: Node) throws(ValueError) -> [CacheOverride] {
        guard case .sequence(let items) = node else {
            throw ValueError("expected a list of overrides, each with host: and/or path:")
        }
        var overrides: [CacheOverride] = []
        for (index, item) in items.enumerated() {
            overrides.append(try Self.override(item, index: index))
        }
        return overrides
    }

    private static func override(_ node: Node, index: Int) throws(ValueError) -> CacheOverride {
        guard case .mapping(let mapping) = node else {
            throw ValueError("expected a mapping with host: and/or path:", path: "[\(index)]", line: node.mark?.line)
        }
        var result = CacheOverride()
        for (keyNode, value) in mapping {
            let key = keyNode.string ?? ""
            func fail(_ message: String) -> ValueError {
                ValueError(message, path: "[\(index)].\(key)", line: value.mark?.line ?? keyNode.mark?.line)
            }
            guard Self.overrideKeys.contains(key) else {
                throw ValueError(
                    "unknown key '\(key)' (expected \(Self.overrideKeys.joined(separator: ", ")))",
                    path: "[\(index)]", line: keyNode.mark?.line)
            }
            guard key != "ignore_query_parameters" else {
                guard case .sequence(let names) = value else { throw fail("expected a list of parameter names") }
                var patterns: [String] = []
                for name in names {
                    guard case .scalar(let scalar) = name, !scalar.string.isEmpty else {
                        throw fail("parameter names must be non-empty values")
                    }
                    patterns.append(scalar.string)
                }
                result.keys = CacheKeyConfiguration(parameterPatterns: patterns)
                continue
            }
            guard case .scalar(let scalar) = value else { throw fail("expected a single value") }
            let text = scalar.string
            switch key {
            case "host":
                let host = text.lowercased()
                let name = host.hasPrefix("*.") ? host.dropFirst(2) : host[...]
                guard !name.isEmpty, !name.contains("*"), !name.contains("/"), !name.contains(":") else {
                    throw fail("'\(text)' is not a host name (like example.com or *.example.com)")
                }
                result.host = host
            case "path":
                guard text.hasPrefix("/") else { throw fail("'\(text)' is not a path prefix (it starts with /)") }
                result.pathPrefix = text
            case "enabled":
                switch text.lowercased() {
                case "true", "yes", "on": result.bypass = false
                case "false", "no", "off": result.bypass = true
                default: throw fail("expected true or false")
                }
            case "default_ttl":
                if text == "off" {
                    result.defaultTTL = .some(nil)
                } else {
                    guard let duration = Units.parseDuration(text) else {
                        throw fail("'\(text)' is not a duration (like 30s, 5m, 24h) or off")
                    }
                    result.defaultTTL = duration.nanoseconds / 1_000_000_000
                }
            case "heuristic_percent":
                guard let percent = Double(text), (0...100).contains(percent) else {
                    throw fail("expected a percentage from 0 to 100")
                }
                result.heuristicFraction = percent / 100
            case "heuristic_max":
                guard let duration = Units.parseDuration(text) else {
                    throw fail("'\(text)' is not a duration (like 30s, 5m, 24h)")
                }
                result.heuristicCap = duration.nanoseconds / 1_000_000_000
            default:
                break
            }
        }
        guard result.host != nil || result.pathPrefix != nil else {
            throw ValueError("an override needs host: or path: (or both)", path: "[\(index)]", line: node.mark?.line)
        }
        return result
    }
}
