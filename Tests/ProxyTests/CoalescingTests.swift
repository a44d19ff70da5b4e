import NIOCore
import NIOHTTP1
import Proxy
import Synchronization
import TestSupport
import Testing

/// Request coalescing end to end: one origin fetch per key, every waiter streaming the fill.
@Suite("Request coalescing", .timeLimit(.minutes(2)))
struct CoalescingTests {
    static func get(_ path: String, _ extra: String = "") -> String {
        "GET \(path) HTTP/1.1\r\nHost: www.example.com\r\n\(extra)\r\n"
    }

    /// Waits until `count` requests are queued behind the fetch of `path`.
    static func waiting(_ count: Int, on larder: TestLarder) async -> Bool {
        await eventually { (larder.server.coalescing?.keys.map(\.waiting).reduce(0, +) ?? 0) == count }
    }

    @Test("200 concurrent requests for one cold URL: one origin request, 200 identical bodies")
    func stampede() async throws {
        let body = Pattern.bytes(length: 300_000)
        let gate = OriginGate()
        let handler: TestOrigin.Handler = { _ in
            .init(headers: [("Cache-Control", "max-age=60")], body: .bytes(body), gate: gate)
        }
        try await withOriginAndLarder(mode: .reverse, origin: handler) { origin, larder in
            let responses = try await withThrowingTaskGroup(of: TestClient.Response.self) { group in
                for _ in 0..<200 {
                    group.addTask { try await TestClient.exchange(port: larder.port, Self.get("/cold")) }
                }
                #expect(await Self.waiting(199, on: larder))
                gate.open()
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(origin.requests.count == 1)
            #expect(responses.count == 200)
            #expect(responses.allSatisfy { $0.status == 200 && $0.complete && $0.body == body })
            let collapsed = responses.filter { $0.header("cache-status")?.contains("collapsed") == true }
            #expect(collapsed.count == 199)
            #expect(larder.server.coalescing?.coalesced == 199)
        }
    }

    @Test("an origin sending 8 MiB slowly: a follower's first bytes arrive while the fill is still mid-body")
    func waitersStreamTheFill() async throws {
        let length = 8 << 20
        let midway = OriginGate()
        let handler: TestOrigin.Handler = { _ in
            .init(headers: [("Cache-Control", "max-age=60")], body: .pattern(length: length),
                  trickle: .init(blockBytes: 64 << 10, interval: .milliseconds(5)),
                  pause: (afterBytes: 1 << 20, until: midway))
        }
        try await withOriginAndLarder(mode: .reverse, origin: handler) { origin, larder in
            // If the follower got nothing before the fill completed, the origin would stay paused; open the
            // gate after a while anyway so that the test fails instead of hanging.
            let watchdog = Task {
                try await Task.sleep(for: .seconds(30))
                midway.open()
            }
            defer { watchdog.cancel() }
            async let leader = TestClient.exchange(port: larder.port, Self.get("/big"))
            #expect(await eventually { larder.server.coalescing?.keys.first?.fills == 1 })
            let streamedMidway = Shared(false)
            let follower = try await TestClient.withConnection(port: larder.port) { connection in
                try await connection.send(Self.get("/big"))
                return try await connection.readResponse(onBodyStart: {
                    streamedMidway.update { $0 = !midway.isOpen }
                    midway.open()
                })
            }
            let first = try await leader

            #expect(streamedMidway.current, "the follower's first bytes came only after the origin went on")
            #expect(origin.requests.count == 1)
            #expect(first.complete && follower.complete)
            #expect(follower.bodyDigest == Pattern.digest(length: length))
            #expect(first.bodyDigest == follower.bodyDigest)
            #expect(follower.header("cache-status")?.contains("collapsed") == true)
        }
    }

    @Test("a no-store response releases its waiters at once, and the next stampede is not queued")
    func uncacheableIsNotSerialised() async throws {
        let first = OriginGate()
        let released = OriginGate()
        let later = OriginGate()
        let seen = Mutex(0)
        let handler: TestOrigin.Handler = { _ in
            let index = seen.withLock { count -> Int in
                count += 1
                return count
            }
            let gate = index == 1 ? first : (index <= 10 ? released : later)
            return .init(headers: [("Cache-Control", "no-store")], body: .bytes(Array("fresh".utf8)), gate: gate)
        }
        try await withOriginAndLarder(mode: .reverse, origin: handler) { origin, larder in
            try await withThrowingTaskGroup(of: TestClient.Response.self) { group in
                for _ in 0..<10 {
                    group.addTask { try await TestClient.exchange(port: larder.port, Self.get("/private")) }
                }
                #expect(await Self.waiting(9, on: larder))
                first.open()
                // The nine waiters reach the origin together: none waits for another's response.
                #expect(await eventually { origin.requests.count == 10 })
                released.open()
                for try await response in group { #expect(response.text == "fresh") }
            }
            // Remembered as uncacheable: the next stampede goes upstream without queueing.
            try await withThrowingTaskGroup(of: TestClient.Response.self) { group in
                for _ in 0..<5 {
                    group.addTask { try await TestClient.exchange(port: larder.port, Self.get("/private")) }
                }
                #expect(await eventually { origin.requests.count == 15 })
                #expect(larder.server.coalescing?.keys.isEmpty == true)
                later.open()
                for try await response in group { #expect(response.status == 200) }
            }
            #expect(larder.server.coalescing?.bypassedUncacheable == 5)
        }
    }

    @Test("an origin that aborts mid-body: every client sees an error, nothing is stored, the next request refetches")
    func abortedFill() async throws {
        let gate = OriginGate()
        let seen = Mutex(0)
        let handler: TestOrigin.Handler = { _ in
            let index = seen.withLock { count -> Int in
                count += 1
                return count
            }
            return .init(headers: [("Cache-Control", "max-age=60")], body: .pattern(length: 2 << 20),
                         abortAfter: index == 1 ? 1 << 20 : nil, gate: index == 1 ? gate : nil)
        }
        try await withOriginAndLarder(mode: .reverse, origin: handler) { origin, larder in
            let responses = try await withThrowingTaskGroup(of: TestClient.Response.self) { group in
                for _ in 0..<5 {
                    group.addTask { try await TestClient.exchange(port: larder.port, Self.get("/cut")) }
                }
                #expect(await Self.waiting(4, on: larder))
                gate.open()
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(responses.count == 5)
            #expect(responses.allSatisfy { !$0.complete }, "\(responses)")
            try await larder.server.flushCache()
            let next = try await TestClient.exchange(port: larder.port, Self.get("/cut"))
            #expect(next.complete && next.bodyLength == 2 << 20)
            #expect(next.header("cache-status")?.contains("hit") == false)
            #expect(origin.requests.count == 2)
        }
    }

    @Test("the client that started a fill disconnects: the others still get the whole body, and it is stored")
    func leaderLeaves() async throws {
        let gate = OriginGate()
        let length = 4 << 20
        let handler: TestOrigin.Handler = { _ in
            .init(headers: [("Cache-Control", "max-age=60")], body: .pattern(length: length), gate: gate,
                  trickle: .init(blockBytes: 64 << 10, interval: .milliseconds(5)))
        }
        try await withOriginAndLarder(mode: .reverse, origin: handler) { origin, larder in
            try await withThrowingTaskGroup(of: TestClient.Response?.self) { group in
                group.addTask {
                    try await TestClient.withConnection(port: larder.port) { connection in
                        try await connection.send(Self.get("/leave"))
                        _ = try await connection.readHeadOnly()
                        return nil  // closes the connection with the body still coming
                    }
                }
                #expect(await eventually { larder.server.coalescing?.keys.isEmpty == false })
                for _ in 0..<3 {
                    group.addTask { try await TestClient.exchange(port: larder.port, Self.get("/leave")) }
                }
                #expect(await Self.waiting(3, on: larder))
                gate.open()
                for try await response in group {
                    guard let response else { continue }
                    #expect(response.complete && response.bodyDigest == Pattern.digest(length: length))
                }
            }
            #expect(await eventually { larder.server.coalescing?.keys.isEmpty == true })
            try await larder.server.flushCache()
            let again = try await TestClient.exchange(port: larder.port, Self.get("/leave"))
            #expect(again.header("cache-status")?.contains("hit") == true)
            #expect(origin.requests.count == 1)
        }
    }

    @Test("a client that filled the cache but stopped reading does not hold back the others")
    func slowLeaderDoesNotStall() async throws {
        let gate = OriginGate()
        let length = 32 << 20
        let handler: TestOrigin.Handler = { _ in
            .init(headers: [("Cache-Control", "max-age=60")], body: .pattern(length: length), gate: gate)
        }
        try await withOriginAndLarder(mode: .reverse, origin: handler) { origin, larder in
            try await TestClient.withConnection(port: larder.port) { leader in
                try await leader.send(Self.get("/slow"))
                #expect(await eventually { larder.server.coalescing?.keys.isEmpty == false })
                async let follower = TestClient.exchange(port: larder.port, Self.get("/slow"))
                #expect(await Self.waiting(1, on: larder))
                gate.open()
                // The leader reads nothing until the follower has the whole body.
                let followed = try await follower
                #expect(followed.complete && followed.bodyDigest == Pattern.digest(length: length))
                let led = try await leader.readResponse()
                #expect(led.complete && led.bodyDigest == Pattern.digest(length: length))
            }
            #expect(origin.requests.count == 1)
        }
    }

    @Test("/stats shows the fetch in flight with its waiters, then the requests it answered as coalesced")
    func statsShowFillsInFlight() async throws {
        let gate = OriginGate()
        let handler: TestOrigin.Handler = { _ in
            .init(headers: [("Cache-Control", "max-age=60")], body: .bytes(Array("shared".utf8)), gate: gate)
        }
        try await withOriginAndLarder(mode: .reverse, origin: handler, configure: Admin.enable) { _, larder in
            try await withThrowingTaskGroup(of: TestClient.Response.self) { group in
                for _ in 0..<4 {
                    group.addTask { try await TestClient.exchange(port: larder.port, Self.get("/inflight")) }
                }
                #expect(await Self.waiting(3, on: larder))
                let during = try JSONParser.parse(try await Admin.request(larder, "GET /stats").text)
                let fills = try #require(during["fills_in_flight"]?.arrayValue)
                #expect(fills.count == 1)
                #expect(fills.first?["key"]?.stringValue == "http://www.example.com/inflight")
                #expect(fills.first?["waiters"]?.intValue == 3)
                gate.open()
                for try await response in group { #expect(response.text == "shared") }
            }
            let after = try await Admin.stats(larder, waitingFor: 4)
            #expect(after["coalesced"]?.intValue == 3)
            #expect(after["fills_in_flight"]?.arrayValue == [])
        }
    }

    @Test("concurrent requests for a stale entry send one conditional request; a 304 answers them all")
    func coalescedRevalidation() async throws {
        let gate = OriginGate()
        let seen = Mutex(0)
        let handler: TestOrigin.Handler = { request in
            let index = seen.withLock { count -> Int in
                count += 1
                return count
            }
            if index == 1 {
                return .text("v1", headers: [("Cache-Control", "max-age=0, must-revalidate"), ("ETag", "\"a\"")])
            }
            #expect(request.head.headers.first(name: "if-none-match") == "\"a\"")
            return .init(status: .notModified, headers: [("Cache-Control", "max-age=60"), ("ETag", "\"a\"")],
                         gate: gate)
        }
        try await withOriginAndLarder(mode: .reverse, origin: handler) { origin, larder in
            _ = try await TestClient.exchange(port: larder.port, Self.get("/stale"))
            try await larder.server.flushCache()
            let responses = try await withThrowingTaskGroup(of: TestClient.Response.self) { group in
                for _ in 0..<6 {
                    group.addTask { try await TestClient.exchange(port: larder.port, Self.get("/stale")) }
                }
                #expect(await Self.waiting(5, on: larder))
                gate.open()
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(origin.requests.count == 2)
            #expect(responses.allSatisfy { $0.status == 200 && $0.text == "v1" })
        }
    }

    @Test("HEAD and Range requests follow a fill in progress")
    func headAndRangeFollowTheFill() async throws {
        let gate = OriginGate()
        let length = 1 << 20
        let handler: TestOrigin.Handler = { _ in
            .init(headers: [("Cache-Control", "max-age=60")], body: .pattern(length: length), gate: gate)
        }
        try await withOriginAndLarder(mode: .reverse, origin: handler) { origin, larder in
            async let full = TestClient.exchange(port: larder.port, Self.get("/r"))
            #expect(await eventually { larder.server.coalescing?.keys.isEmpty == false })
            async let head = TestClient.exchange(
                port: larder.port, "HEAD /r HTTP/1.1\r\nHost: www.example.com\r\n\r\n", headRequest: true)
            async let range = TestClient.exchange(port: larder.port, Self.get("/r", "Range: bytes=500000-500099\r\n"))
            #expect(await Self.waiting(2, on: larder))
            gate.open()
            let (fullResponse, headResponse, rangeResponse) = try await (full, head, range)
            #expect(fullResponse.bodyLength == length)
            #expect(headResponse.status == 200 && headResponse.header("content-length") == String(length))
            #expect(rangeResponse.status == 206)
            #expect(rangeResponse.header("content-range") == "bytes 500000-500099/\(length)")
            #expect(rangeResponse.body == Array(Pattern.bytes(length: length)[500_000..<500_100]))
            #expect(origin.requests.count == 1)
        }
    }
}

