import Synchronization

/// The settings new client connections start with, swapped whole by a configuration reload.
///
/// Each accepted connection takes the current ``ProxyContext`` once; a reload installs a new one, so
/// connections opened later see the new upstreams, timeouts and limits while connections already open
/// (and every exchange in flight) finish with what they started with. Nothing is dropped.
final class LiveContext: Sendable {
    private let context = Mutex<ProxyContext?>(nil)
    private let admin = Mutex<AdminAPI?>(nil)

    var current: ProxyContext? { self.context.withLock { $0 } }
    var adminAPI: AdminAPI? { self.admin.withLock { $0 } }

    func install(_ context: ProxyContext) { self.context.withLock { $0 = context } }
    func install(admin: AdminAPI) { self.admin.withLock { $0 = admin } }
}
