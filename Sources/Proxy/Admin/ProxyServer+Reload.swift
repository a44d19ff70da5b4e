import CacheStore

/// Configuration reload (SIGHUP) without dropping a connection.
extension ProxyServer {
    /// What a reload did.
    public struct ReloadResult: Sendable, Hashable {
        /// Keys whose new values are in effect (for connections opened from now on).
        public var applied: [String]
        /// Keys whose change needs a restart; their old values stay in effect.
        public var needsRestart: [String]
    }

    /// Applies `new` while running. Throws (changing nothing) when it is unusable.
    ///
    /// In effect at once: the byte budget (the store evicts down to it), the admin token. For connections
    /// opened from now on: upstreams, request limits, client and upstream timeouts, the upstream pool,
    /// forward-mode target rules, `via`, Host handling. Connections already open, and every exchange in
    /// flight, finish with the settings they started with. Listeners, mode, the cache directory and its
    /// policy, workers, the cache's policy and coalescing, and the log format need a restart: they are reported and
    /// keep their old values.
    /// The log level is the executable's (it owns the log back end).
    public func reload(_ new: ProxyConfiguration) async throws(ConfigurationError) -> ReloadResult {
        try new.validate()
        guard let current = self.live.current else { throw ConfigurationError("the server is not running") }
        let old = current.configuration
        var effective = new
        var restart: [String] = []
        func keep<Value: Equatable>(_ key: String, _ path: WritableKeyPath<ProxyConfiguration, Value>) {
            if effective[keyPath: path] != old[keyPath: path] {
                restart.append(key)
                effective[keyPath: path] = old[keyPath: path]
            }
        }
        keep("mode", \.mode)
        keep("listen", \.listen)
        keep("admin", \.admin)
        keep("workers", \.workers)
        keep("cache.enabled", \.cacheEnabled)
        keep("cache.dir", \.cacheDirectory)
        keep("cache.max_object_size", \.cacheMaxObjectSize)
        keep("cache.default_ttl", \.cacheDefaultTTL)
        keep("cache.ignore_query_parameters", \.cacheIgnoredQueryParameters)
        keep("cache.targeted_field", \.cacheTargetedField)
        keep("cache.overrides", \.cacheOverrides)
        keep("cache.status_key", \.cacheStatusKey)
        keep("cache.coalescing", \.coalescing)
        keep("log.access", \.accessLog)
        keep("log.format", \.logFormat)
        if effective.mode == .reverse, effective.upstreams.isEmpty { effective.upstreams = old.upstreams }

        var applied: [String] = []
        func note<Value: Equatable>(_ key: String, _ path: KeyPath<ProxyConfiguration, Value>) {
            if effective[keyPath: path] != old[keyPath: path] { applied.append(key) }
        }
        note("upstreams", \.upstreams)
        note("via", \.viaName)
        note("limits", \.limits)
        note("timeouts.header_read", \.headerReadTimeout)
        note("timeouts.keep_alive", \.keepAliveTimeout)
        note("timeouts.shutdown", \.shutdownTimeout)
        note("timeouts.upstream / upstream_pool", \.upstream)
        note("forward.allow_private_targets", \.allowPrivateTargets)
        note("forward.connect_ports", \.connectPorts)
        note("reverse.preserve_host", \.preserveHost)
        note("cache.send_from", \.cacheSendFrom)
        note("admin_token", \.adminToken)
        note("log.level", \.logLevel)

        if effective.cacheSize != old.cacheSize, let cache = current.cache {
            do {
                try await cache.store.updateLimits(maxBytes: effective.cacheSize, maxEntries: nil)
                applied.append("cache.size")
            } catch {
                throw ConfigurationError("cache.size: the store refused the new budget: \(error)")
            }
        }
        let upstreams = effective.upstream == old.upstream ? current.upstreams : nil
        self.live.install(self.makeContext(effective, cache: current.cache, upstreams: upstreams))
        self.live.adminAPI?.updateToken(effective.adminToken)
        return ReloadResult(applied: applied, needsRestart: restart)
    }

    /// The configuration connections opened now get (the start-up one until a reload).
    public var currentConfiguration: ProxyConfiguration {
        self.live.current?.configuration ?? self.configuration
    }
}
