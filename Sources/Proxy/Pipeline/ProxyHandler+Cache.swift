import CachePolicy
import CacheStore
import HTTPRules
import NIOCore
import NIOHTTP1
import Upstream

/// The cache's part of a client connection: answering from a stored response, storing a forwarded one.
extension ProxyHandler {
    /// Looks the request up and decides how it is answered: from the store, by revalidating, behind
    /// another request's fetch of the same key, or by the origin. Returns false when it answered the
    /// request itself (`only-if-cached` with nothing usable stored).
    func consultCache(_ cache: HTTPCache, for exchange: Exchange, key: String) -> Bool {
        let head = exchange.request
        switch cache.lookup(head, key: key) {
        case .hit(let variant, let headers, let head, let age, let ttl, let refresh):
            exchange.cacheStatus = CacheStatus(hit: true, ttl: ttl)
            exchange.upstream = .cacheHit(body: .stored(variant), headers: headers, head: head, age: age)
            if let refresh, let lease = cache.coalescer.tryLead(key) {
                exchange.cacheStatus?.detail = "stale-while-revalidate"
                self.refreshInBackground(exchange, cache: cache, key: key, lease: lease, revision: refresh.0,
                                         conditionalHeaders: refresh.conditionalHeaders)
            }
        case .revalidate(let revision, let conditional):
            exchange.cacheStatus = CacheStatus(forward: revision.forwardReason)
            // A client's own preconditions are forwarded as they are; otherwise Larder asks with the
            // stored validators and answers the client itself.
            if !head.headers.hasPreconditions, case .exchange(let request, _) = exchange.route {
                request.addedFields = conditional
                exchange.revision = revision
            }
            self.coalesce(exchange, cache: cache, key: key)
        case .forward(let reason):
            exchange.cacheStatus = CacheStatus(forward: reason)
            self.coalesce(exchange, cache: cache, key: key)
        case .gatewayTimeout:
            exchange.cacheStatus = CacheStatus(forward: .request, detail: "only-if-cached")
            if cache.reportsKey { exchange.cacheStatus?.key = key }
            exchange.noteCacheStatus()
            self.respondLocally(
                RequestRejection(.gatewayTimeout, "only-if-cached: nothing usable is stored", keepsConnection: true))
            return false
        }
        if cache.reportsKey { exchange.cacheStatus?.key = key }
        return true
    }

    /// Revalidates a response served stale within its stale-while-revalidate window (RFC 5861 §3), holding
    /// the key's coalescing lease.
    private func refreshInBackground(_ exchange: Exchange, cache: HTTPCache, key: String, lease: CoalescingLease,
                                     revision: HTTPCache.StoredRevision, conditionalHeaders: HTTPHeaders) {
        guard let context, case .exchange(let request, let allow) = exchange.route else {
            return lease.abandon()
        }
        let upstreamHead = request.head(adding: conditionalHeaders, allocator: context.channel.allocator)
        BackgroundRefresh(
            cache: cache, key: key, lease: lease, revision: revision, request: exchange.request,
            pool: self.shared.upstreams.pool(for: context.eventLoop), eventLoop: context.eventLoop
        ).start(head: upstreamHead, origin: request.origin, allowInternal: allow)
    }

    /// Answers from a stored response (RFC 9111 §4): the client's preconditions (RFC 9110 §13.2) may turn it
    /// into 304 or 412 and a Range into 206 or 416 (RFC 9110 §14); the stored fields get Age (RFC 9111
    /// §5.1), Via and Cache-Status, framing comes from the stored body size, and the body streams from
    /// the store as the client drains it.
    ///
    /// A body still being filled streams as the fill commits it; when its length is unknown, Range is
    /// ignored (RFC 9110 §14.2 allows it) and the answer is chunked.
    ///
    /// A plain answer (the stored status, the whole body) with `head` writes that pre-serialised head plus
    /// its own fields, and a small body in the same buffer: one write for the whole response.
    func serveFromCache(_ exchange: Exchange, body source: CachedBody, headers stored: HTTPHeaders,
                        head: SerializedHead? = nil, age: Int64) {
        guard let context, let cache = self.shared.cache else { return }
        let metadata = source.metadata
        let status = HTTPResponseStatus(statusCode: metadata.status)
        let storedResponse = StoredResponse(
            status: status, headers: stored, requestTime: Instant(milliseconds: metadata.requestTime),
            responseTime: Instant(milliseconds: metadata.responseTime))
        var headers = stored
        var answerStatus = status
        var pieces: [StoredBodyStream.Piece] = []
        var firstRange: Range<Int64>?? = .some(nil)  // the whole body unless a plan says otherwise
        var length = source.completeLength

        switch Conditionals.evaluate(request: exchange.request, stored: storedResponse) {
        case .notModified(let fields):
            headers = fields
            answerStatus = .notModified
            firstRange = .none
            length = 0
        case .preconditionFailed:
            return self.respondLocally(
                RequestRejection(.preconditionFailed, "precondition failed", keepsConnection: true))
        case .proceed:
            guard let completeLength = length else { break }
            switch Ranges.plan(request: exchange.request, stored: storedResponse, completeLength: completeLength,
                               boundary: source.boundary, configuration: cache.policy)
            {
            case .full:
                break
            case .single(let range, let contentRange):
                answerStatus = .partialContent
                headers.replaceOrAdd(name: "content-range", value: contentRange)
                firstRange = .some(range.first..<(range.last + 1))
                length = range.count
            case .multipart(let ranges, let boundary):
                answerStatus = .partialContent
                let contentType = stored.first(name: "content-type")
                headers.replaceOrAdd(name: "content-type", value: Ranges.multipartContentType(boundary: boundary))
                for (index, range) in ranges.enumerated() {
                    let header = Ranges.partHeader(range, completeLength: completeLength, contentType: contentType,
                                                   boundary: boundary, isFirst: index == 0)
                    pieces += [.literal(Array(header.utf8)), .range(range)]
                }
                pieces.append(.literal(Array(Ranges.multipartTrailer(boundary: boundary).utf8)))
                firstRange = .none
                length = Ranges.multipartLength(ranges, completeLength: completeLength, contentType: contentType,
                                                boundary: boundary)
            case .unsatisfiable(let contentRange):
                answerStatus = .rangeNotSatisfiable
                headers.replaceOrAdd(name: "content-range", value: contentRange)
                firstRange = .none
                length = 0
            }
        }
        if exchange.request.method == .HEAD {
            pieces = []
            firstRange = .none
        }

        // A plain answer writes the serialised head; a small stored body goes in the same buffer.
        let plain = head != nil && answerStatus == status && length != nil
        var inline: StoredVariant?
        if plain, case .stored(let variant) = source, case .some(nil) = firstRange, variant.bodySize > 0,
            variant.bodySize <= Self.inlineBodyLimit
        {
            inline = variant
        }
        var body: StoredBodyStream?
        if inline == nil, case .some(let range) = firstRange, source.completeLength != 0 {
            do {
                let reader = try source.openReader(in: cache.store, range: range)
                body = StoredBodyStream(store: cache.store, body: source, first: reader, pieces: pieces)
            } catch {
                return self.refetchGoneEntry(exchange)
            }
        } else if !pieces.isEmpty {
            body = StoredBodyStream(store: cache.store, body: source, first: nil, pieces: pieces)
        }

        if plain, let head, let length {
            let fields = SerializedHead.AnswerFields(
                age: age, contentLength: length, via: self.cachedAnswerVia,
                cacheStatus: exchange.cacheStatus, connection: Self.persistence(of: exchange))
            var bytes = head.answer(fields, bodyCapacity: Int(inline?.bodySize ?? 0),
                                    allocator: context.channel.allocator)
            if let inline {
                do {
                    try cache.store.withBody(of: inline) { bytes.writeBytes($0) }
                } catch {
                    return self.refetchGoneEntry(exchange)
                }
                exchange.log.bytes += Int(inline.bodySize)
            }
            if case .stored(let variant) = source { cache.store.recordHit(variant) }
            exchange.responseStarted = true
            exchange.log.status = answerStatus.code
            guard let body else {
                exchange.upstream = .none
                return self.endResponse(exchange, last: .serialized(bytes))
            }
            self.send(.serialized(bytes))
            exchange.upstream = .cached(body)
            return self.pumpCachedBody()
        }

        headers.removeTargetedFields(cache.policy)
        headers.replaceOrAdd(name: "age", value: String(age))
        if answerStatus != .notModified {
            if let length {
                headers.replaceOrAdd(name: "content-length", value: String(length))
            } else if exchange.request.method != .HEAD {
                // A fill of unknown length: chunked, or the end marked by closing for HTTP/1.0 clients.
                if exchange.request.version.minor >= 1 {
                    headers.replaceOrAdd(name: "transfer-encoding", value: "chunked")
                } else {
                    exchange.keepAlive = false
                }
            }
        }
        headers.add(name: "via", value: self.cachedAnswerVia)
        exchange.cacheStatus?.append(to: &headers)
        self.setPersistence(of: exchange, in: &headers)
        if case .stored(let variant) = source { cache.store.recordHit(variant) }
        exchange.responseStarted = true
        exchange.log.status = answerStatus.code
        self.send(.head(HTTPResponseHead(version: .http1_1, status: answerStatus, headers: headers)))
        guard let body else {
            exchange.upstream = .none
            return self.endResponse(exchange)
        }
        exchange.upstream = .cached(body)
        self.pumpCachedBody()
    }

    /// `TCP_CORK` (Linux): partial segments are held back until the option is cleared.
    static let tcpCork = ChannelOptions.Types.SocketOption(level: .tcp, name: NIOBSDSocket.Option(rawValue: 3))

    /// Stored bodies up to this size answer in the same write as their head.
    static let inlineBodyLimit: Int64 = 16 * 1024

    /// The entry went away between lookup and read (purge, eviction): asks the origin instead.
    private func refetchGoneEntry(_ exchange: Exchange) {
        exchange.cacheStatus = CacheStatus(forward: .miss, detail: "entry-gone")
        exchange.upstream = .connecting(pendingBody: [])
        self.connect(exchange, fresh: false)
    }

    /// Sends stored body bytes while the client can take them; resumes on writability changes. Large chunks of
    /// complete stored bodies go as file regions (sendfile, no copy) when the connection allows it; the readers
    /// behind them stay open until the kernel is done with their pages (``SendfileState``).
    func pumpCachedBody() {
        guard let context, let exchange = self.exchange, case .cached(let body) = exchange.upstream else { return }
        let sendfile = self.sendfileState(context)
        while context.channel.isWritable {
            let next: StoredBodyStream.Next
            do {
                next = try body.next(maxBytes: 256 * 1024, allocator: context.channel.allocator, sendfile: sendfile)
            } catch {
                return self.abortConnection(reason: "stored body unreadable: \(error)")
            }
            switch next {
            case .bytes(let buffer):
                exchange.log.bytes += buffer.readableBytes
                self.send(.body(.byteBuffer(buffer)), promise: sendfile?.willWrite(buffer.readableBytes))
            case .region(let region):
                exchange.regionsSent += 1
                if exchange.regionsSent == 2 {
                    // A body that takes more than one region goes out in full segments only, as with nginx's
                    // `tcp_nopush`: measured, less softirq time on the receiving side's core (docs/benchmarks.md,
                    // sixth pass). A single region is one sendfile call: corking it would only cost two syscalls.
                    exchange.corked = true
                    try? context.channel.syncOptions?.setOption(Self.tcpCork, value: 1)
                }
                exchange.log.bytes += region.readableBytes
                self.send(.body(.fileRegion(region)), promise: sendfile?.willWrite(region.readableBytes))
            case .end:
                body.close()
                exchange.upstream = .none
                if exchange.corked {
                    // Uncorking sends what the kernel holds back; the response's end follows at once.
                    exchange.corked = false
                    try? context.channel.syncOptions?.setOption(Self.tcpCork, value: 0)
                }
                return self.endResponse(exchange)
            case .waiting:
                // Only a fill in progress waits; complete entries never do. Resume when bytes arrive.
                let loop = NIOLoopBound(self, eventLoop: context.eventLoop)
                body.whenReadable { loop.execute { $0.pumpCachedBody() } }
                context.flush()
                return
            }
        }
        context.flush()
    }

    /// On a forwarded response: starts storing it when RFC 9111 §3 allows, invalidates after unsafe
    /// methods (§4.4), and completes the exchange's Cache-Status.
    func applyCache(_ cache: HTTPCache, to exchange: Exchange, response: HTTPResponseHead) {
        if !Invalidation.isSafe(exchange.request.method) {
            cache.invalidate(after: exchange.request, response: response)
        }
        // A POST response with explicit freshness and a Content-Location naming its own target may answer a
        // later GET of that URI (RFC 9110 §9.3.3, RFC 9111 §3); `Storability` decides, after the invalidation above.
        let isPOST = exchange.request.method == .POST
        let fillKey = isPOST && response.headers.contains(name: "content-location")
            ? cache.key(for: exchange.request) : exchange.cacheKey
        if let key = fillKey, exchange.request.method == .GET || isPOST {
            if cache.reportsKey { exchange.cacheStatus?.key = key }
            switch cache.beginFill(
                request: exchange.request, key: key, response: response, declaredLength: exchange.declaredLength,
                requestTime: exchange.requestTime, responseTime: cache.clock())
            {
            case .success(let fill):
                exchange.fill = fill
                exchange.cacheStatus?.stored = true
                exchange.lease?.filling(StreamingFill(view: fill.view, expectedLength: exchange.declaredLength))
            case .failure where isPOST:
                break  // a POST is forwarded for its method whatever the reason: fwd=method says it all
            case .failure(let refusal):
                exchange.cacheStatus?.detail = refusal.detail
                if refusal.originRefused { exchange.lease?.uncacheable() } else { exchange.lease?.release() }
            }
        }
        exchange.lease = nil
        exchange.cacheStatus?.forwardStatus = Int(response.status.code)
    }

    /// On the response to a revalidation: a matching 304 or an error under stale-if-error means the
    /// stored response answers (once this upstream exchange ends). Returns true when the origin's head
    /// is not to be forwarded.
    func applyValidation(_ head: HTTPResponseHead, to exchange: Exchange, over connection: UpstreamConnection) -> Bool {
        guard let revision = exchange.revision, let cache = self.shared.cache else { return false }
        let lease = exchange.lease
        // Requests coalesced behind this revalidation look the entry up again once the new fields are durable.
        switch cache.validated(revision, request: exchange.request, response: head, requestTime: exchange.requestTime,
                               committed: { lease?.refreshed() })
        {
        case .freshened(let headers, let age):
            exchange.lease = nil
            exchange.cacheStatus?.forwardStatus = Int(head.status.code)
            exchange.answerFromStore = (headers, age)
            return true
        case .serveStale(let age):
            exchange.lease?.release()
            exchange.lease = nil
            exchange.cacheStatus?.forwardStatus = Int(head.status.code)
            exchange.cacheStatus?.detail = "stale-if-error"
            exchange.answerFromStore = (revision.stored.headers, age)
            return true
        case .unusable304:
            // The 304 cannot answer a client that sent no conditional: ask again without the stored
            // validators (RFC 9111 §4.3.4), on a new connection, and forward the full response.
            connection.abort()
            exchange.revision = nil
            if case .exchange(let request, _) = exchange.route {
                request.addedFields = HTTPHeaders()
            }
            exchange.upstream = .connecting(pendingBody: [])
            self.connect(exchange, fresh: true)
            return true
        case .forward:
            exchange.revision = nil
            return false
        }
    }

    /// When the origin cannot be reached during a revalidation and stale-if-error allows it, serves the
    /// stored response (RFC 5861 §4). Returns true when it did.
    func serveStaleOnError(_ exchange: Exchange, response: HTTPResponseHead?) -> Bool {
        guard let revision = exchange.revision, let cache = self.shared.cache,
            case .serveStale(let age) = cache.validated(
                revision, request: exchange.request, response: response, requestTime: exchange.requestTime)
        else { return false }
        exchange.revision = nil
        exchange.lease?.release()
        exchange.lease = nil
        exchange.cacheStatus?.detail = "stale-if-error"
        self.serveFromCache(exchange, body: .stored(revision.variant), headers: revision.stored.headers, age: age)
        return true
    }

    /// Appends a body part to the fill; when the store asks to slow down, upstream reading pauses until
    /// it has room. A store error drops the fill, never the client's response.
    func store(_ part: ByteBuffer, in fill: Fill, for exchange: Exchange, pausing connection: UpstreamConnection) {
        do {
            let pressure = try part.withUnsafeReadableBytes { bytes in try fill.append(bytes) }
            guard pressure == .pause, let context else { return }
            connection.pauseReading()
            let loop = NIOLoopBound(self, eventLoop: context.eventLoop)
            let exchangeID = ObjectIdentifier(exchange)
            fill.whenWritable {
                loop.execute { handler in
                    guard let current = handler.exchange, ObjectIdentifier(current) == exchangeID,
                        handler.context?.channel.isWritable == true
                    else { return }
                    current.httpConnection?.resumeReading()
                }
            }
        } catch {
            exchange.abandonFill()
            exchange.cacheStatus?.detail = "store-error"
        }
    }
}

extension NIOLoopBound {
    /// Runs `body` with the bound value on its event loop, from any thread (store callbacks arrive on the
    /// store's writer thread).
    func execute(_ body: @escaping @Sendable (Value) -> Void) {
        self.eventLoop.execute { body(self.value) }
    }
}

extension HTTPHeaders {
    /// Removes the targeted cache-control field the origin addressed to Larder (RFC 9213 §2.1).
    mutating func removeTargetedFields(_ policy: PolicyConfiguration) {
        for name in TargetedCacheControl.fieldsToStrip(configuration: policy) {
            self.remove(name: name)
        }
    }
}
