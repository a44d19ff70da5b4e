import Synchronization

/// Counts open readers per body so the writer never frees a body under a reader.
///
/// Readers read chunk by chunk, each in its own short read transaction, so LMDB's snapshot does not
/// protect a body across chunks. A reader pins the body id first and then checks that the body still
/// exists. The writer, about to free a body, asks ``claimForFree(_:)``: an unpinned body is marked
/// *dying* (later pins fail) and freed; a pinned one is only released (kept, listed in `pending`) and
/// freed when its last reader unpins.
final class BodyPins: Sendable {
    private struct State {
        var counts: [BodyID: Int] = [:]
        /// Claimed for freeing by the transaction being written; pins fail until it settles.
        var dying: Set<BodyID> = []
        /// Released while pinned: free when the count reaches zero.
        var deferred: Set<BodyID> = []
    }

    private let state = Mutex(State())

    /// Pins a body; false if the writer is freeing it right now.
    func pin(_ id: BodyID) -> Bool {
        self.state.withLock { state in
            guard !state.dying.contains(id) else { return false }
            state.counts[id, default: 0] += 1
            return true
        }
    }

    /// Unpins; returns true when this was the last pin on a released body, which the caller must
    /// then ask the writer to free.
    func unpin(_ id: BodyID) -> Bool {
        self.state.withLock { state in
            guard let count = state.counts[id] else { return false }
            if count > 1 {
                state.counts[id] = count - 1
                return false
            }
            state.counts[id] = nil
            return state.deferred.remove(id) != nil
        }
    }

    /// Writer: true if the body may be freed now (and marks it dying); false if readers hold it, in
    /// which case it is remembered as deferred.
    func claimForFree(_ id: BodyID) -> Bool {
        self.state.withLock { state in
            if state.counts[id, default: 0] > 0 {
                state.deferred.insert(id)
                return false
            }
            state.dying.insert(id)
            return true
        }
    }

    /// Writer, after the transaction that made these decisions committed or was rolled back.
    /// On commit the dying bodies are gone (a later pin finds nothing); on rollback the decisions are
    /// undone and will be made again by the retry.
    func settle(claimed: [BodyID], deferred: [BodyID], committed: Bool) {
        guard !claimed.isEmpty || !deferred.isEmpty else { return }
        self.state.withLock { state in
            for id in claimed { state.dying.remove(id) }
            if !committed {
                for id in deferred { state.deferred.remove(id) }
            }
        }
    }

    func isPinned(_ id: BodyID) -> Bool {
        self.state.withLock { $0.counts[id, default: 0] > 0 }
    }
}
