import CacheStore
import Metrics
import Prometheus
import Synchronization

/// `/metrics`: the statistics as Prometheus text (exposition format 0.0.4), through swift-metrics
/// handles backed by a swift-prometheus registry.
///
/// Nothing is added per request: at each scrape the traffic counters' growth since the previous
/// scrape is added to swift-metrics `Counter`s and the store's figures are recorded on `Gauge`s, then
/// the registry is rendered. The registry is the server's own unless the executable hands in the one
/// it bootstrapped `MetricsSystem` with, so other libraries' metrics appear on the same page.
public final class MetricsExporter: Sendable {
    public let registry: PrometheusCollectorRegistry
    private let factory: PrometheusMetricsFactory
    /// Last value exported per counter, to turn totals into increments.
    private let exported = Mutex<[String: UInt64]>([:])

    public init(registry: PrometheusCollectorRegistry = PrometheusCollectorRegistry()) {
        self.registry = registry
        self.factory = PrometheusMetricsFactory(registry: registry)
    }

    /// The Prometheus text of `report`.
    func render(_ report: StatsReport) -> String {
        self.exported.withLock { exported in
            if let traffic = report.traffic {
                let outcomes: [(String, UInt64)] = [
                    ("hit", traffic.hits), ("miss", traffic.misses), ("revalidated", traffic.revalidated),
                    ("stale_if_error", traffic.staleOnError), ("coalesced", traffic.coalesced),
                    ("bypass", traffic.bypassed),
                    ("other", traffic.requests &- min(traffic.requests, traffic.lookups &+ traffic.bypassed)),
                ]
                for (outcome, value) in outcomes {
                    self.count("larder_requests_total", [("outcome", outcome)], value, &exported)
                }
                self.count("larder_stale_served_total", [], traffic.staleServed, &exported)
                self.count("larder_errors_total", [], traffic.errors, &exported)
                self.count("larder_response_bytes_total", [("source", "cache")], traffic.bytesFromCache, &exported)
                self.count("larder_response_bytes_total", [("source", "origin")], traffic.bytesFromOrigin, &exported)
                self.count("larder_coalesced_bytes_total", [], traffic.bytesCoalesced, &exported)
            }
            if let store = report.store {
                self.count("larder_store_evictions_total", [], store.evictions, &exported)
                self.count("larder_store_purged_variants_total", [], store.purgedVariants, &exported)
                self.count("larder_store_deduplicated_fills_total", [], store.deduplicatedFills, &exported)
                let gauges: [(String, Int64)] = [
                    ("larder_store_objects", Int64(store.objects)),
                    ("larder_store_variants", Int64(store.variants)),
                    ("larder_store_bodies", Int64(store.bodies)),
                    ("larder_store_bytes_used", store.budgetedBytes),
                    ("larder_store_bytes_budget", store.maxBytes),
                    ("larder_store_body_bytes", store.logicalBytes),
                    ("larder_store_dedup_saved_bytes", max(0, store.logicalBytes - store.physicalBytes)),
                    ("larder_store_fills_in_progress", Int64(store.fillsInProgress)),
                ]
                for (label, value) in gauges {
                    Gauge(label: label, dimensions: [], factory: self.factory).record(value)
                }
            }
            Gauge(label: "larder_fills_in_flight", dimensions: [], factory: self.factory)
                .record(report.fillsInFlight.count)
            Gauge(label: "larder_fill_waiters", dimensions: [], factory: self.factory)
                .record(report.fillsInFlight.reduce(0) { $0 + $1.waiters })
        }
        return self.registry.emitToString()
    }

    /// Adds the growth of a total since the last scrape to its swift-metrics counter.
    private func count(
        _ label: String, _ dimensions: [(String, String)], _ total: UInt64, _ exported: inout [String: UInt64]
    ) {
        let id = label + dimensions.map { "|\($0.0)=\($0.1)" }.joined()
        let previous = exported[id] ?? 0
        let counter = Counter(label: label, dimensions: dimensions, factory: self.factory)
        if total > previous { counter.increment(by: Int64(clamping: total - previous)) }
        exported[id] = max(previous, total)
    }
}
