import NIOHTTP1
import Proxy
import TestSupport
import Testing

/// RFC 5861: `stale-while-revalidate` and `stale-if-error`. Serving stale at once and the refresh reaching the
/// store are in `StaleWhileRevalidateTests`; stale-if-error on a 503 is in `RevalidationTests`.
@Suite("Conformance: stale-while-revalidate and stale-if-error (RFC 5861)", .timeLimit(.minutes(2)))
struct StaleExtensionsConformanceTests {
    @Test("RFC 5861 §3: however many requests arrive during the window, one background revalidation is sent")
    func oneBackgroundRevalidation() async throws {
        try await Conformance.run(origin: { request, _ in
            // The revalidation never gets an answer: it stays in flight for the rest of the test.
            request.isConditional
                ? TestOrigin.Response(silent: true)
                : ok([("Cache-Control", "max-age=10, stale-while-revalidate=600"), ("ETag", "\"v1\"")])
        }) { s in
            _ = try await s.get()
            s.advance(20)
            for _ in 0..<3 {
                let stale = try await s.get()
                #expect(stale.isHit)
                #expect(stale.text == "stored body")
                #expect(stale.larderStatus["ttl"] == "-10")
            }
            await s.waitForRequests(2)
            let later = try await s.get()
            #expect(later.isHit)
            #expect(s.requests.count == 2)
            #expect(s.requests.last?.header("if-none-match") == "\"v1\"")
        }
    }

    @Test("RFC 5861 §3: past the stale-while-revalidate window the client waits for the validation")
    func pastWindow() async throws {
        try await Conformance.run(origin: { request, _ in
            request.isConditional
                ? notModified([("ETag", "\"v1\""), ("X-Version", "2")])
                : ok([("Cache-Control", "max-age=10, stale-while-revalidate=30"), ("ETag", "\"v1\""),
                    ("X-Version", "1")])
        }) { s in
            _ = try await s.get()
            s.advance(60)
            let response = try await s.get()
            #expect(!response.isHit)
            #expect(response.header("x-version") == "2", "answered after the 304, not before")
            #expect(response.larderStatus["fwd-status"] == "304")
        }
    }

    @Test("RFC 5861 §4: stale-if-error serves the stored response on 500, 502 and 504 too", arguments: [500, 502, 504])
    func staleIfErrorStatuses(status: Int) async throws {
        try await Conformance.run(origin: { _, index in
            index == 0
                ? ok([("Cache-Control", "max-age=10, stale-if-error=600")])
                : .text("broken", status: HTTPResponseStatus(statusCode: status))
        }) { s in
            _ = try await s.get()
            s.advance(20)
            let response = try await s.get()
            #expect(response.status == 200)
            #expect(response.text == "stored body")
            #expect(response.larderStatus["detail"] == "stale-if-error")
            #expect(response.larderStatus["fwd-status"] == String(status))
            #expect(s.requests.count == 2)
        }
    }

    @Test("RFC 5861 §4: past the stale-if-error window the error is passed on")
    func staleIfErrorWindow() async throws {
        try await Conformance.run(origin: { _, index in
            index == 0
                ? ok([("Cache-Control", "max-age=10, stale-if-error=30"), ("ETag", "\"v1\"")])
                : .text("broken", status: .serviceUnavailable)
        }) { s in
            _ = try await s.get()
            s.advance(50)
            let response = try await s.get()
            #expect(response.status == 503)
            #expect(response.text == "broken")
        }
    }

    @Test("RFC 5861 §4: stale-if-error in the request allows a stale answer when the origin fails")
    func staleIfErrorInRequest() async throws {
        try await Conformance.run(origin: { _, index in
            index == 0
                ? ok([("Cache-Control", "max-age=10"), ("ETag", "\"v1\"")])
                : .text("broken", status: .badGateway)
        }) { s in
            _ = try await s.get()
            s.advance(20)
            let plain = try await s.get()
            #expect(plain.status == 502)
            let asking = try await s.get("/r", [("Cache-Control", "stale-if-error=60")])
            #expect(asking.status == 200)
            #expect(asking.text == "stored body")
        }
    }

    @Test("RFC 5861 §4: stale-if-error also covers an origin that cannot be reached")
    func staleIfErrorUnreachable() async throws {
        // The origin is stopped mid-test, so this test starts and stops its servers itself (each exactly once).
        let clock = TestClock()
        let origin = try await TestOrigin.start { _ in ok([("Cache-Control", "max-age=10, stale-if-error=600")]) }
        let larder = try await TestLarder.start(mode: .reverse, upstreams: [origin.url]) {
            $0.cacheClock = clock.cacheClock
        }
        let s = Conformance(origin: origin, larder: larder, clock: clock, arrivals: Arrivals())
        _ = try await s.get()
        await origin.shutdown()
        s.advance(20)
        let response = try await s.get()
        await larder.shutdown()
        #expect(response.status == 200)
        #expect(response.text == "stored body")
        #expect(response.larderStatus["detail"] == "stale-if-error")
    }

    @Test("RFC 9111 §4.2.4 with RFC 5861 §4: must-revalidate forbids stale-if-error")
    func mustRevalidateBeatsStaleIfError() async throws {
        try await Conformance.run(origin: { _, index in
            index == 0
                ? ok([("Cache-Control", "max-age=10, must-revalidate, stale-if-error=600"), ("ETag", "\"v1\"")])
                : .text("broken", status: .serviceUnavailable)
        }) { s in
            _ = try await s.get()
            s.advance(20)
            let response = try await s.get()
            #expect(response.status == 503)
        }
    }
}

extension Conformance {
    /// Waits until the origin has received `count` requests — each arrival is an event the origin reports, so
    /// the wait needs no timing; the suite's time limit bounds it.
    func waitForRequests(_ count: Int) async {
        await self.arrivals.wait(for: count)
    }
}
