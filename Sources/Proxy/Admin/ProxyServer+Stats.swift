/// The statistics of a running server, as `/stats` reports them (for tests and embedders).
extension ProxyServer {
    /// Traffic counters, the store's counters and fills in flight; nil before `start()`.
    public func statsReport(top: Int = 10) -> StatsReport? {
        self.live.adminAPI?.report(top: top)
    }
}
