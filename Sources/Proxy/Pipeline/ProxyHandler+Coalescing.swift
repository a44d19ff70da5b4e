import CachePolicy
import CacheStore
import HTTPRules
import NIOCore
import NIOHTTP1
import Upstream

/// Request coalescing on a client connection: leading a key's fetch, following one, and letting a fill
/// go on when the client that started it leaves.
extension ProxyHandler {
    /// Joins the coalescing of `key`: lead its fetch, follow a fill already streaming the variant the
    /// request selects, or queue behind the fetch in progress (for at most the wait timeout).
    func coalesce(_ exchange: Exchange, cache: HTTPCache, key: String) {
        guard let context else { return }
        let head = exchange.request
        // Only a plain GET's response can fill the cache for every request; conditional and Range requests
        // (whose origin answers are 304 or 206) follow a fetch but never start one.
        let mayLead = head.method == .GET && !head.headers.hasPreconditions && !head.headers.contains(name: "range")
        let target = NIOLoopBound(CoalescedRequest(handler: self, exchange: exchange), eventLoop: context.eventLoop)
        let claim = cache.coalescer.claim(key, request: head.headers, mayLead: mayLead) { resolution in
            target.execute { $0.handler.resume($0.exchange, with: resolution) }
        }
        switch claim {
        case .lead(let lease):
            exchange.lease = lease
        case .bypass:
            break
        case .attach(let fill):
            self.attach(exchange, to: fill, cache: cache)
        case .wait(let wait):
            exchange.upstream = .waiting(wait)
            exchange.waitTimer = context.eventLoop.assumeIsolated().scheduleTask(
                in: cache.coalescer.configuration.waitTimeout
            ) { [self] in
                self.waitTimedOut(exchange)
            }
        }
    }

    /// The fetch a request was queued behind said what to do.
    private func resume(_ exchange: Exchange, with resolution: Coalescer.Resolution) {
        guard self.exchange === exchange, case .waiting = exchange.upstream, let cache = self.shared.cache,
            let key = exchange.cacheKey
        else {
            if case .lead(let lease) = resolution { lease.abandon() }  // the client left: the next one leads
            return
        }
        exchange.waitTimer?.cancel()
        exchange.waitTimer = nil
        exchange.upstream = .connecting(pendingBody: [])
        switch resolution {
        case .attach(let fill):
            self.attach(exchange, to: fill, cache: cache)
        case .lead(let lease):
            exchange.lease = lease
        case .goUpstream:
            break
        case .lookupAgain:
            guard self.consultCache(cache, for: exchange, key: key) else { return }
        }
        self.proceed(exchange)
    }

    /// Answers from a fill in progress: the stored head at once, the body as the fill commits it.
    private func attach(_ exchange: Exchange, to fill: StreamingFill, cache: HTTPCache) {
        let answer = cache.answer(from: fill)
        exchange.cacheStatus?.collapsed = true
        exchange.cacheStatus?.forwardStatus = fill.view.metadata.status
        exchange.cacheStatus?.ttl = answer.ttl
        exchange.revision = nil
        exchange.upstream = .cacheHit(body: .filling(fill), headers: answer.headers, head: nil, age: answer.age)
    }

    /// The fetch a request queued behind produced no response head in time: it goes upstream on its own.
    private func waitTimedOut(_ exchange: Exchange) {
        guard self.exchange === exchange, case .waiting(let wait) = exchange.upstream, wait.cancel() else { return }
        exchange.waitTimer = nil
        exchange.cacheStatus?.detail = "coalescing-timeout"
        exchange.upstream = .connecting(pendingBody: [])
        self.proceed(exchange)
    }

    /// When the client whose request fills the cache cannot keep up while other requests stream the
    /// same fill, the fill stops waiting for it: a ``FillDriver`` reads the origin at the store's pace and
    /// this client reads on from the store where it stands. Only for a body of declared length, which
    /// cannot be refused for its size halfway. Returns true when it handed off.
    func handOffSlowClient(_ exchange: Exchange) -> Bool {
        guard let cache = self.shared.cache, let fill = exchange.fill, let key = exchange.cacheKey,
            let length = exchange.declaredLength, exchange.requestEnded, exchange.request.method == .GET,
            cache.coalescer.followers(of: key) > 0
        else { return false }
        let source = CachedBody.filling(StreamingFill(view: fill.view, expectedLength: length))
        let reader: BodyReader
        do {
            reader = try source.openReader(in: cache.store, range: Int64(exchange.log.bytes)..<length)
        } catch {
            return false
        }
        self.detachFill(exchange)
        exchange.upstream = .cached(StoredBodyStream(store: cache.store, body: source, first: reader, pieces: []))
        return true
    }

    /// When the client whose request is filling the cache goes away, the fill goes on without it (up to
    /// the configured limit) for the requests streaming it and those still to come.
    func detachFill(_ exchange: Exchange) {
        guard let context, let cache = self.shared.cache, let fill = exchange.fill, exchange.requestEnded,
            exchange.answerFromStore == nil, case .http(let connection) = exchange.upstream
        else { return }
        exchange.fill = nil
        exchange.upstream = .none
        FillDriver(
            fill: fill, pool: self.shared.upstreams.pool(for: context.eventLoop), eventLoop: context.eventLoop,
            appended: Int64(exchange.log.bytes), limit: cache.coalescer.configuration.abandonedFillLimit
        ).adopt(connection, declaredLength: exchange.declaredLength)
    }
}

/// A queued request and the handler that owns it, carried to the handler's event loop by a wake-up.
private struct CoalescedRequest {
    let handler: ProxyHandler
    let exchange: Exchange
}
