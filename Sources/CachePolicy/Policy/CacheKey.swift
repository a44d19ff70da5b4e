import HTTPRules

/// Which query parameters do not take part in the cache key.
public struct CacheKeyConfiguration: Hashable, Sendable {
    /// Parameter names ignored exactly (case-sensitive, as written in the query).
    public var ignoredQueryParameters: Set<String>
    /// Parameter name prefixes ignored, e.g. `utm_`.
    public var ignoredQueryParameterPrefixes: [String]

    public init(ignoredQueryParameters: Set<String> = [], ignoredQueryParameterPrefixes: [String] = []) {
        self.ignoredQueryParameters = ignoredQueryParameters
        self.ignoredQueryParameterPrefixes = ignoredQueryParameterPrefixes
    }

    func ignores(_ name: Substring) -> Bool {
        self.ignoredQueryParameters.contains(String(name))
            || self.ignoredQueryParameterPrefixes.contains { name.hasPrefix($0) }
    }
}

/// The primary cache key (RFC 9111 §2): a pure function of the request's target URI, so every tier of a fleet
/// computes the same key and the same owner.
public enum CacheKey {
    /// `scheme://host[:port]/path[?query]`: scheme and host lowercased, the port only when it is not the scheme's
    /// default, path and query exactly as received except that ignored query parameters are removed (the others keep
    /// their order; a query left empty loses its `?`). The method is not part of the key: HEAD is answered from a
    /// stored GET. Fragments never reach a request target. The store hashes the result.
    public static func make(_ uri: EffectiveURI, configuration: CacheKeyConfiguration = .init()) -> String {
        var key = uri.scheme
        key.reserveCapacity(uri.scheme.utf8.count + uri.authority.host.utf8.count + uri.pathAndQuery.utf8.count + 16)
        key += "://"
        uri.authority.write(to: &key, defaultPort: uri.defaultPort)
        guard !configuration.ignoredQueryParameters.isEmpty || !configuration.ignoredQueryParameterPrefixes.isEmpty,
            let query = uri.query
        else {
            key += uri.pathAndQuery
            return key
        }
        key += uri.path
        let kept = query.split(separator: "&", omittingEmptySubsequences: false).filter { parameter in
            !configuration.ignores(parameter.prefix { $0 != "=" })
        }
        if !kept.isEmpty { key += "?" + kept.joined(separator: "&") }
        return key
    }
}
