import NIOCore
import NIOPosix

/// Keep-alive connections to origins for the channels of one event loop.
///
/// Each event loop has its own pool so a client connection and its upstream connection share a
/// thread and never hop. Idle connections are bounded per origin (``UpstreamConfiguration/maxIdlePerOrigin``)
/// and closed after ``UpstreamConfiguration/idleTimeout``; the most recently used is handed out first.
/// Not thread-safe: use it only on its event loop.
public final class ConnectionPool {
    private let eventLoop: any EventLoop
    private let connector: Connector
    private let configuration: UpstreamConfiguration
    private var idle: [Origin: [IdleEntry]] = [:]
    /// One timer for the whole pool (not one per idle connection): it closes what idled too long.
    private var sweep: Scheduled<Void>?

    private struct IdleEntry {
        var connection: UpstreamConnection
        var idleSince: NIODeadline
    }

    init(eventLoop: any EventLoop, connector: Connector) {
        self.eventLoop = eventLoop
        self.connector = connector
        self.configuration = connector.configuration
    }

    /// An idle connection to `origin`, or a new one.
    ///
    /// `allowInternal` is consulted only for new connections: pooled ones were checked when made.
    public func connection(to origin: Origin, allowInternal: Bool) -> EventLoopFuture<UpstreamConnection> {
        if let connection = self.idleConnection(to: origin) {
            // A connection belongs to its event loop; the future is completed on it, for callers on it.
            return self.eventLoop.assumeIsolated().makeSucceededFuture(connection)
        }
        return self.newConnection(to: origin, allowInternal: allowInternal)
    }

    /// The most recently used idle connection to `origin`, if the pool holds one that is still open: the
    /// common case, taken without a future (see ``connection(to:allowInternal:)`` for the general one).
    public func idleConnection(to origin: Origin) -> UpstreamConnection? {
        // Mutated in place: a checkout never copies the origin's list.
        while let entry = self.idle[origin]?.popLast() {
            if entry.connection.isIdleAndOpen {
                return entry.connection
            }
        }
        return nil
    }

    /// A connection made for this exchange alone, never taken from the pool (used to retry after a
    /// pooled connection turned out to be closed by the origin).
    public func newConnection(to origin: Origin, allowInternal: Bool) -> EventLoopFuture<UpstreamConnection> {
        let readTimeout = self.configuration.readTimeout
        let loop = self.eventLoop
        return self.connector.connect(to: origin, on: loop, allowInternal: allowInternal) { channel in
            channel.eventLoop.makeCompletedFuture {
                let connection = UpstreamConnection(origin: origin, readTimeout: readTimeout)
                try channel.pipeline.syncOperations.addHandler(connection)
            }
        }.flatMapThrowing { channel in
            try channel.pipeline.syncOperations.handler(type: UpstreamConnection.self)
        }
    }

    /// Returns a connection after an exchange. It is kept only if it is open, idle, and the pool has room.
    public func release(_ connection: UpstreamConnection) {
        let origin = connection.origin
        guard connection.isIdleAndOpen, connection.originKeepsAlive,
            (self.idle[origin]?.count ?? 0) < self.configuration.maxIdlePerOrigin
        else {
            connection.close()
            return
        }
        if connection.onClose == nil {
            connection.onClose = { [weak self] closed in self?.remove(closed) }
        }
        // An origin's list stays in the pool while empty (until the sweep), so a connection going back and
        // forth allocates nothing.
        self.idle[origin, default: []].append(IdleEntry(connection: connection, idleSince: .now()))
        self.scheduleSweep()
    }

    /// Closes connections idle for longer than the idle timeout; runs while the pool holds any.
    private func scheduleSweep() {
        guard self.sweep == nil, !self.idle.isEmpty else { return }
        self.sweep = self.eventLoop.assumeIsolated().scheduleTask(in: self.configuration.idleTimeout) { [self] in
            self.sweep = nil
            let cutoff = NIODeadline.now() - self.configuration.idleTimeout
            for (origin, entries) in self.idle {
                // Entries are appended as they go idle, so the expired ones are a prefix.
                let expired = entries.prefix { $0.idleSince <= cutoff }
                guard !expired.isEmpty || entries.isEmpty else { continue }
                let kept = Array(entries.dropFirst(expired.count))
                self.idle[origin] = kept.isEmpty ? nil : kept
                expired.forEach { $0.connection.close() }
            }
            self.scheduleSweep()
        }
    }

    /// How many idle connections the pool holds for `origin`.
    public func idleCount(for origin: Origin) -> Int { self.idle[origin]?.count ?? 0 }

    private func remove(_ connection: UpstreamConnection) {
        guard var entries = self.idle[connection.origin],
            let index = entries.firstIndex(where: { $0.connection === connection })
        else { return }
        entries.remove(at: index)
        self.idle[connection.origin] = entries.isEmpty ? nil : entries
    }
}
