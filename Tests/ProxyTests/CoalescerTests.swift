import CachePolicy
import CacheStore
import NIOHTTP1
import Synchronization
import TestSupport
import Testing

@testable import Proxy

/// The coalescing lock's decisions, without sockets: who fetches, who waits, who is woken with what.
@Suite("Coalescer")
struct CoalescerTests {
    /// Resolutions delivered to waiters, by waiter name. Leases handed to a waiter are kept (a dropped
    /// lease abandons itself and would pass the fetch on).
    final class Wakes: Sendable {
        private let received = Mutex<[String: [String]]>([:])
        private let leases = Mutex<[CoalescingLease]>([])

        func callback(_ name: String) -> Coalescer.Wake {
            { resolution in
                let text: String
                switch resolution {
                case .attach: text = "attach"
                case .lead(let lease):
                    text = "lead"
                    self.leases.withLock { $0.append(lease) }
                case .lookupAgain: text = "lookupAgain"
                case .goUpstream: text = "goUpstream"
                }
                self.received.withLock { $0[name, default: []].append(text) }
            }
        }

        subscript(name: String) -> [String] { self.received.withLock { $0[name] ?? [] } }
    }

    /// A clock the test moves (milliseconds).
    final class TestClock: Sendable {
        private let now = Mutex<Int64>(1_000_000)
        var milliseconds: Int64 { self.now.withLock { $0 } }
        func advance(by amount: Int64) { self.now.withLock { $0 += amount } }
    }

    let clock = TestClock()

    func makeCoalescer(memory: Int64 = 60_000) -> Coalescer {
        var configuration = Coalescer.Configuration()
        configuration.uncacheableMemory = memory
        let clock = self.clock
        return Coalescer(configuration: configuration, clock: { clock.milliseconds })
    }

    static func lease(_ claim: Coalescer.Claim) -> CoalescingLease? {
        if case .lead(let lease) = claim { return lease }
        return nil
    }

    static func isWait(_ claim: Coalescer.Claim) -> Bool {
        if case .wait = claim { return true }
        return false
    }

    @Test("the first request fetches; the next ones wait")
    func firstLeadsOthersWait() {
        let coalescer = self.makeCoalescer()
        let wakes = Wakes()
        let first = coalescer.claim("k", request: [:], wake: wakes.callback("a"))
        #expect(Self.lease(first) != nil)
        #expect(Self.isWait(coalescer.claim("k", request: [:], wake: wakes.callback("b"))))
        #expect(Self.isWait(coalescer.claim("k", request: [:], wake: wakes.callback("c"))))
        let other = Self.lease(coalescer.claim("other", request: [:], wake: wakes.callback("d")))
        #expect(other != nil)
        #expect(coalescer.snapshot().keys.map(\.waiting) == [2, 0])
        #expect(Self.lease(first) != nil)
    }

    @Test("a failed fetch wakes exactly one waiter to fetch next")
    func abandonPassesTheLease() {
        let coalescer = self.makeCoalescer()
        let wakes = Wakes()
        let lease = Self.lease(coalescer.claim("k", request: [:], wake: wakes.callback("a")))
        _ = coalescer.claim("k", request: [:], wake: wakes.callback("b"))
        _ = coalescer.claim("k", request: [:], wake: wakes.callback("c"))
        lease?.abandon()
        #expect(wakes["b"] == ["lead"])
        #expect(wakes["c"] == [])
        #expect(coalescer.snapshot().keys.first?.waiting == 1)
    }

    @Test("a lease dropped without an outcome does not strand its waiters")
    func droppedLeaseAbandons() {
        let coalescer = self.makeCoalescer()
        let wakes = Wakes()
        do {
            let claim = coalescer.claim("k", request: [:], wake: wakes.callback("a"))
            #expect(Self.lease(claim) != nil)
            _ = coalescer.claim("k", request: [:], wake: wakes.callback("b"))
        }
        #expect(wakes["b"] == ["lead"])
    }

    @Test("an uncacheable response releases every waiter and the key skips the queue until it is forgotten")
    func uncacheableRemembered() {
        let coalescer = self.makeCoalescer(memory: 60_000)
        let wakes = Wakes()
        let lease = Self.lease(coalescer.claim("k", request: [:], wake: wakes.callback("a")))
        _ = coalescer.claim("k", request: [:], wake: wakes.callback("b"))
        _ = coalescer.claim("k", request: [:], wake: wakes.callback("c"))
        lease?.uncacheable()
        #expect(wakes["b"] == ["goUpstream"] && wakes["c"] == ["goUpstream"])
        guard case .bypass = coalescer.claim("k", request: [:], wake: wakes.callback("d")) else {
            Issue.record("a remembered uncacheable key must bypass the queue")
            return
        }
        self.clock.advance(by: 60_001)
        #expect(Self.lease(coalescer.claim("k", request: [:], wake: wakes.callback("e"))) != nil)
    }

    @Test("release sends waiters upstream without remembering the key")
    func releaseForgets() {
        let coalescer = self.makeCoalescer()
        let wakes = Wakes()
        let lease = Self.lease(coalescer.claim("k", request: [:], wake: wakes.callback("a")))
        _ = coalescer.claim("k", request: [:], wake: wakes.callback("b"))
        lease?.release()
        #expect(wakes["b"] == ["goUpstream"])
        #expect(Self.lease(coalescer.claim("k", request: [:], wake: wakes.callback("c"))) != nil)
    }

    @Test("a freshened revalidation sends waiters back to the store")
    func refreshedLooksAgain() {
        let coalescer = self.makeCoalescer()
        let wakes = Wakes()
        let lease = Self.lease(coalescer.claim("k", request: [:], wake: wakes.callback("a")))
        _ = coalescer.claim("k", request: [:], wake: wakes.callback("b"))
        lease?.refreshed()
        lease?.abandon()  // a second outcome is ignored
        #expect(wakes["b"] == ["lookupAgain"])
        #expect(coalescer.snapshot().keys.isEmpty)
    }

    @Test("a cancelled waiter is not woken; a request that may not lead follows or bypasses")
    func cancelAndFollowers() {
        let coalescer = self.makeCoalescer()
        let wakes = Wakes()
        guard case .bypass = coalescer.claim("k", request: [:], mayLead: false, wake: wakes.callback("h")) else {
            Issue.record("nothing to follow: a HEAD goes upstream")
            return
        }
        let lease = Self.lease(coalescer.claim("k", request: [:], wake: wakes.callback("a")))
        guard case .wait(let wait) = coalescer.claim("k", request: [:], mayLead: false, wake: wakes.callback("b"))
        else {
            Issue.record("a HEAD follows a fetch in progress")
            return
        }
        #expect(wait.cancel())
        #expect(!wait.cancel())
        lease?.abandon()
        #expect(wakes["b"] == [])
        #expect(coalescer.tryLead("k") != nil)
    }

    @Test(
        """
        a fill in progress: matching waiters attach, another variant's waiter fetches next, \
        the fill is forgotten when it completes
        """
    )
    func fillingAttachesByVariant() async throws {
        let directory = TemporaryDirectory()
        defer { directory.remove() }
        let store = try CacheStore.open(directory: directory.path)
        defer { store.close() }
        let coalescer = self.makeCoalescer()
        let wakes = Wakes()
        let english: HTTPHeaders = ["Accept-Language": "en"]
        let german: HTTPHeaders = ["Accept-Language": "de"]
        let lease = Self.lease(coalescer.claim("k", request: english, wake: wakes.callback("a")))
        _ = coalescer.claim("k", request: english, wake: wakes.callback("en"))
        _ = coalescer.claim("k", request: german, wake: wakes.callback("de"))
        let secondaryKey = try #require(Vary(response: ["Vary": "Accept-Language"]).secondaryKey(for: english))
        let fill = try store.beginFill(
            primaryKey: "k", secondaryKey: Array(secondaryKey.utf8),
            metadata: ResponseMetadata(
                status: 200, headers: [HeaderField(name: "vary", value: "Accept-Language")], requestTime: 0,
                responseTime: 0))
        let inFlight = StreamingFill(view: fill.view, expectedLength: 2)
        #expect(inFlight.serves(english) && !inFlight.serves(german))
        lease?.filling(inFlight)
        #expect(wakes["en"] == ["attach"])
        #expect(wakes["de"] == ["lead"])
        guard case .attach = coalescer.claim("k", request: english, wake: wakes.callback("late")) else {
            Issue.record("a late request for the variant being filled attaches")
            return
        }
        try fill.append([1, 2])
        _ = try await fill.finish()
        #expect(await eventually { coalescer.snapshot().keys.first?.fills == 0 })
        #expect(coalescer.snapshot().coalesced == 2)
    }
}
