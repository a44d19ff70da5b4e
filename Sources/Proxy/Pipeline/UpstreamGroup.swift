import Synchronization
import Upstream

/// The origins of reverse mode, taken in turn.
///
/// The seam for load balancing: weights, health, consistent hashing and run-time changes belong here.
final class UpstreamGroup: Sendable {
    let origins: [Origin]
    private let counter = Atomic<Int>(0)

    init(origins: [Origin]) {
        precondition(!origins.isEmpty, "an upstream group needs at least one origin")
        self.origins = origins
    }

    /// The next origin, round-robin.
    func next() -> Origin {
        if self.origins.count == 1 { return self.origins[0] }
        let turn = self.counter.add(1, ordering: .relaxed).oldValue
        return self.origins[turn % self.origins.count]
    }
}
