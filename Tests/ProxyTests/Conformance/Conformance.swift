import CachePolicy
import NIOHTTP1
import Proxy
import Synchronization
import TestSupport
import Testing

/// One conformance scenario: a Larder (reverse mode unless told) in front of a scripted origin, over a real LMDB
/// store, with a clock the test moves by hand.
///
/// Header values written `@+N` / `@-N` — in what the origin answers and in what the client sends — become the
/// HTTP-date N seconds after / before the clock's current time, so a test states `Date: @+0, Expires: @+60`.
///
/// Every ``send(_:_:_:body:)`` waits until the exchange is over on Larder's side (a second, locally answered
/// request on the same connection is only read after the first exchange has ended, and so after its response was
/// handed to the store), then until the store has committed it: the next request sees what this one stored,
/// without sleeping.
struct Conformance {
    let origin: TestOrigin
    let larder: TestLarder
    let clock: TestClock
    /// The origin's requests as events, to wait on.
    let arrivals: Arrivals

    static let host = "www.example.com"

    /// What the origin answers to its `index`th request (0-based).
    typealias Script = @Sendable (_ request: TestOrigin.Request, _ index: Int) -> TestOrigin.Response

    static func run(
        mode: ProxyConfiguration.Mode = .reverse,
        configure: (inout ProxyConfiguration) -> Void = { _ in },
        origin script: @escaping Script,
        _ body: (Conformance) async throws -> Void
    ) async throws {
        let clock = TestClock()
        let arrivals = Arrivals()
        let handler: TestOrigin.Handler = { request in
            var response = script(request, arrivals.next())
            response.headers = response.headers.map { ($0.0, Self.expand($0.1, now: clock.seconds)) }
            return response
        }
        try await withOriginAndLarder(mode: mode, origin: handler, configure: {
            $0.cacheClock = clock.cacheClock
            configure(&$0)
        }) { origin, larder in
            try await body(Conformance(origin: origin, larder: larder, clock: clock, arrivals: arrivals))
        }
    }

    /// The origin answers its requests with `responses` in turn; the last one answers every later request.
    static func run(
        mode: ProxyConfiguration.Mode = .reverse,
        configure: (inout ProxyConfiguration) -> Void = { _ in },
        responses: [TestOrigin.Response],
        _ body: (Conformance) async throws -> Void
    ) async throws {
        try await Self.run(mode: mode, configure: configure, origin: { _, index in
            responses[min(index, responses.count - 1)]
        }, body)
    }

    /// Sends one request and reads its answer; see the type's description for what it waits for.
    func send(
        _ method: String = "GET",
        _ path: String = "/r",
        _ headers: [(String, String)] = [],
        body: String = ""
    ) async throws -> TestClient.Response {
        let now = self.clock.seconds
        // An absolute-form target (forward mode) names its own host.
        let host = path.hasPrefix("http://") ? String(path.dropFirst(7).prefix { $0 != "/" }) : Self.host
        var raw = "\(method) \(path) HTTP/1.1\r\nHost: \(host)\r\n"
        for (name, value) in headers { raw += "\(name): \(Self.expand(value, now: now))\r\n" }
        if !body.isEmpty || method == "POST" || method == "PUT" { raw += "Content-Length: \(body.utf8.count)\r\n" }
        raw += "\r\n" + body
        let response = try await TestClient.withConnection(port: self.larder.port) { connection in
            try await connection.send(raw)
            let response = try await connection.readResponse(headRequest: method == "HEAD")
            // Answered by Larder itself (417) once the exchange above has ended; a closed connection means it has.
            try? await connection.send("GET /sentinel HTTP/1.1\r\nHost: \(Self.host)\r\nExpect: sentinel\r\n\r\n")
            _ = try? await connection.readResponse()
            return response
        }
        try await self.larder.server.flushCache()
        return response
    }

    func get(_ path: String = "/r", _ headers: [(String, String)] = []) async throws -> TestClient.Response {
        try await self.send("GET", path, headers)
    }

    /// Moves Larder's clock (and the origin's `@` dates) forward.
    func advance(_ seconds: Int64) {
        self.clock.advance(seconds: seconds)
    }

    /// What the origin received, in order.
    var requests: [TestOrigin.Request] { self.origin.requests }

    /// `@+N` / `@-N` → the HTTP-date of `now + N`; anything else as it is.
    static func expand(_ value: String, now: Int64) -> String {
        guard value.hasPrefix("@"), let offset = Int64(value.dropFirst()) else { return value }
        return HTTPDate.format(Instant(secondsSinceEpoch: now + offset))
    }
}

/// A 200 with `body` and these fields.
func ok(_ headers: [(String, String)], _ body: String = "stored body") -> TestOrigin.Response {
    .text(body, headers: headers)
}

/// A 304 with these fields.
func notModified(_ headers: [(String, String)] = []) -> TestOrigin.Response {
    TestOrigin.Response(status: .notModified, headers: headers)
}

extension TestClient.Response {
    /// Larder's own `Cache-Status` entry (the last list member), as parameters: `hit` → "", `ttl=40` → "40".
    var larderStatus: [String: String] {
        guard let field = self.headers("cache-status").last,
            let entry = field.split(separator: ",").last
        else { return [:] }
        var parameters: [String: String] = [:]
        let parts = entry.split(separator: ";").map { String($0.filter { $0 != " " }) }
        guard parts.first == "larder" else { return [:] }
        for part in parts.dropFirst() {
            let pair = part.split(separator: "=", maxSplits: 1).map(String.init)
            parameters[pair[0]] = pair.count > 1 ? pair[1] : ""
        }
        return parameters
    }

    /// Whether Larder answered from its store without asking the origin.
    var isHit: Bool { self.larderStatus["hit"] != nil }
}

extension TestOrigin.Request {
    func header(_ name: String) -> String? { self.head.headers.first(name: name) }
    var isConditional: Bool {
        self.head.headers.contains(name: "if-none-match") || self.head.headers.contains(name: "if-modified-since")
    }
}

/// Counts the origin's requests and wakes tests waiting for a number of them.
final class Arrivals: Sendable {
    private struct State {
        var count = 0
        var waiters: [(count: Int, continuation: CheckedContinuation<Void, Never>)] = []
    }

    private let state = Mutex(State())

    /// Records an arrival; returns its 0-based index.
    func next() -> Int {
        let (index, ready) = self.state.withLock { state in
            state.count += 1
            let ready = state.waiters.filter { $0.count <= state.count }.map(\.continuation)
            state.waiters.removeAll { $0.count <= state.count }
            return (state.count - 1, ready)
        }
        for continuation in ready { continuation.resume() }
        return index
    }

    /// Returns once `count` requests have arrived.
    func wait(for count: Int) async {
        await withCheckedContinuation { continuation in
            let ready = self.state.withLock { state in
                if state.count >= count { return true }
                state.waiters.append((count, continuation))
                return false
            }
            if ready { continuation.resume() }
        }
    }
}
