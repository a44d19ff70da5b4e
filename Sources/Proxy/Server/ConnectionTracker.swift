import NIOCore
import Synchronization

/// Knows the open client connections so a shutdown can ask them to finish and wait until they have.
///
/// On ``quiesce()`` each connection receives `ChannelShouldQuiesceEvent`: an idle one closes at once,
/// a busy one closes after its current response.
final class ConnectionTracker: Sendable {
    private struct State {
        var channels: [ObjectIdentifier: any Channel] = [:]
        var quiescing = false
        var drained: [CheckedContinuation<Void, Never>] = []
    }

    private let state = Mutex(State())

    /// Registers a new connection; one arriving during shutdown is closed.
    func track(_ channel: any Channel) {
        let accepted = self.state.withLock { state -> Bool in
            guard !state.quiescing else { return false }
            state.channels[ObjectIdentifier(channel)] = channel
            return true
        }
        guard accepted else {
            channel.close(promise: nil)
            return
        }
        channel.closeFuture.whenComplete { [self] _ in
            let waiters = self.state.withLock { state -> [CheckedContinuation<Void, Never>] in
                state.channels[ObjectIdentifier(channel)] = nil
                guard state.channels.isEmpty else { return [] }
                defer { state.drained.removeAll() }
                return state.drained
            }
            waiters.forEach { $0.resume() }
        }
    }

    /// Asks every connection to finish, and returns when all are closed.
    func quiesce() async {
        let channels = self.state.withLock { state -> [any Channel] in
            state.quiescing = true
            return Array(state.channels.values)
        }
        for channel in channels {
            channel.pipeline.fireUserInboundEventTriggered(ChannelShouldQuiesceEvent())
        }
        await withCheckedContinuation { continuation in
            let done = self.state.withLock { state -> Bool in
                if state.channels.isEmpty { return true }
                state.drained.append(continuation)
                return false
            }
            if done { continuation.resume() }
        }
    }

    /// Closes whatever is still open.
    func closeAll() {
        let channels = self.state.withLock { Array($0.channels.values) }
        channels.forEach { $0.close(promise: nil) }
    }
}
