import CacheStore
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// The admin API's routes, apart from the socket: each request becomes an ``AdminResponse``.
///
/// | route | answer |
/// |---|---|
/// | `GET /healthz` | `ok` while the process serves |
/// | `GET /readyz` | `ready` while the proxy accepts traffic; 503 once shutdown began |
/// | `GET /stats[?top=N]` | ``StatsReport`` as JSON |
/// | `GET /metrics` | Prometheus text |
/// | `POST /purge` with `url=`, `prefix=` or `all=true` | `{"purged": N}` |
/// | `PURGE <absolute URL>` (or `PURGE /<absolute URL>`) | the same for one URL |
/// | `GET /entries[?prefix=&sort=key|size|hits|age&limit=N]` | stored entries |
/// | `GET /inspect?url=URL` | one entry's variants, freshness and why |
///
/// With a token configured every route but `/healthz` and `/readyz` needs `Authorization: Bearer
/// TOKEN` (401 otherwise): probes stay simple, data and purges do not leak.
final class AdminAPI: Sendable {
    let stats: TrafficStats
    let cache: HTTPCache?
    let sources: StatsSources
    let metrics: MetricsExporter
    private let token: Mutex<String?>
    private let ready = Atomic(true)

    init(stats: TrafficStats, cache: HTTPCache?, sources: StatsSources, metrics: MetricsExporter, token: String?) {
        self.stats = stats
        self.cache = cache
        self.sources = sources
        self.metrics = metrics
        self.token = Mutex(token)
    }

    /// From now on `/readyz` answers 503 (shutdown began).
    func markNotReady() { self.ready.store(false, ordering: .relaxed) }

    /// Replaces the bearer token (configuration reload).
    func updateToken(_ token: String?) { self.token.withLock { $0 = token } }

    var catalog: CacheCatalog? {
        self.cache.map { CacheCatalog(policy: $0.policy, keys: $0.keys) }
    }

    func report(top: Int = 10) -> StatsReport {
        StatsReport(
            source: .server, traffic: self.stats.snapshot(top: top), store: try? self.cache?.store.stats(),
            fillsInFlight: self.sources.inFlightFills(), generatedAt: Int64(time(nil)))
    }

    func handle(_ request: AdminRequest) async -> AdminResponse {
        switch (request.method, request.path) {
        case ("GET", "/healthz"), ("HEAD", "/healthz"):
            return .text(200, "ok")
        case ("GET", "/readyz"), ("HEAD", "/readyz"):
            return self.ready.load(ordering: .relaxed) ? .text(200, "ready") : .text(503, "shutting down")
        default:
            break
        }
        if let expected = self.token.withLock({ $0 }), !Self.same(request.bearerToken, expected) {
            var response = AdminResponse.error(401, "this admin API needs 'Authorization: Bearer TOKEN'")
            response.headers.append(("www-authenticate", "Bearer realm=\"larder\""))
            return response
        }
        switch (request.method, request.path) {
        case ("GET", "/stats"):
            let top = request.parameters["top"].flatMap { Int($0) }.map { min(max($0, 0), TrafficStats.trackedKeys) }
            return .json(self.report(top: top ?? 10).json)
        case ("GET", "/metrics"):
            return AdminResponse(
                status: 200, contentType: "text/plain; version=0.0.4; charset=utf-8",
                body: self.metrics.render(self.report(top: 0)))
        case ("POST", "/purge"):
            return await self.purge(request.parameters)
        case ("PURGE", let target):
            let url = target.hasPrefix("/") ? String(target.dropFirst()) : target
            return await self.purge(["url": url])
        case ("GET", "/entries"):
            return await self.entries(request.parameters)
        case ("GET", "/inspect"):
            return await self.inspect(request.parameters)
        case (_, "/stats"), (_, "/metrics"), (_, "/entries"), (_, "/inspect"):
            return .error(405, "\(request.path) answers GET")
        case (_, "/purge"):
            return .error(405, "/purge answers POST (or the PURGE method on a URL)")
        default:
            return .error(
                404, "no route \(request.path); see /stats, /metrics, /purge, /entries, /inspect, /healthz, /readyz")
        }
    }

    private func purge(_ parameters: [String: String]) async -> AdminResponse {
        guard let cache = self.cache, let catalog = self.catalog else {
            return .error(503, "caching is off: there is nothing to purge")
        }
        let scope: PurgeScope
        if let url = parameters["url"] {
            guard let key = catalog.key(forURL: url) else {
                return .error(400, "url: '\(url)' is not an absolute http:// URL")
            }
            scope = .key(key)
        } else if let prefix = parameters["prefix"] {
            guard !prefix.isEmpty else { return .error(400, "prefix: must not be empty (use all=true)") }
            scope = .prefix(catalog.keyPrefix(forURL: prefix))
        } else if parameters["all"] == "true" {
            scope = .all
        } else {
            return .error(400, "say what to purge: url=URL, prefix=URL or all=true")
        }
        do {
            let removed = try await cache.store.purge(scope)
            return .json(.object([("purged", .integer(Int64(removed))), ("scope", .string(Self.describe(scope)))]))
        } catch {
            return .error(500, "purge failed: \(error)")
        }
    }

    private func entries(_ parameters: [String: String]) async -> AdminResponse {
        guard let cache = self.cache, let catalog = self.catalog else { return .error(503, "caching is off") }
        let sortName = parameters["sort"] ?? "key"
        guard let sort = CacheCatalog.Sort(rawValue: sortName) else {
            return .error(400, "sort: '\(sortName)' is not one of key, size, hits, age")
        }
        let limitText = parameters["limit"] ?? "100"
        guard let limit = Int(limitText), limit >= 0 else {
            return .error(400, "limit: '\(limitText)' is not a whole number")
        }
        try? await cache.store.flush()  // recorded hits are saved in batches: save them to list them
        do {
            let prefix = parameters["prefix"].map { catalog.keyPrefix(forURL: $0) } ?? ""
            return .json(try catalog.list(
                cache.store, prefix: prefix, sort: sort, limit: limit, nowMilliseconds: cache.clock()))
        } catch {
            return .error(500, "listing failed: \(error)")
        }
    }

    private func inspect(_ parameters: [String: String]) async -> AdminResponse {
        guard let cache = self.cache, let catalog = self.catalog else { return .error(503, "caching is off") }
        guard let url = parameters["url"] else { return .error(400, "url: missing (inspect?url=URL)") }
        guard let key = catalog.key(forURL: url) else {
            return .error(400, "url: '\(url)' is not an absolute http:// URL")
        }
        try? await cache.store.flush()
        do {
            guard let found = try catalog.inspect(cache.store, key: key, nowMilliseconds: cache.clock()) else {
                return .error(404, "nothing stored for \(key)")
            }
            return .json(found)
        } catch {
            return .error(500, "inspect failed: \(error)")
        }
    }

    static func describe(_ scope: PurgeScope) -> String {
        switch scope {
        case .key(let key): "url \(key)"
        case .prefix(let prefix): "prefix \(prefix)"
        case .all: "all"
        }
    }

    /// Compares in time independent of where the texts differ.
    private static func same(_ given: String?, _ expected: String) -> Bool {
        guard let given else { return false }
        let a = Array(given.utf8)
        let b = Array(expected.utf8)
        var difference = UInt8(a.count == b.count ? 0 : 1)
        for index in 0..<min(a.count, b.count) { difference |= a[index] ^ b[index] }
        return difference == 0
    }
}
