import CachePolicy
import CacheStore
import HTTPRules
import NIOCore
import NIOHTTP1
import Upstream

/// The cache's part of a client connection: answering from a stored response, storing a forwarded one.
extension ProxyHandler {
    /// Answers from a stored response (RFC 9111 §4): the client's preconditions (RFC 9110 §13.2) may turn it
    /// into 304 or 412 and a Range into 206 or 416 (RFC 9110 §14); the stored fields get Age (RFC 9111
    /// §5.1), Via and Cache-Status, framing comes from the stored body size, and the body streams from
    /// the store as the client drains it.
    func serveFromCache(_ exchange: Exchange, variant: StoredVariant, headers stored: HTTPHeaders, age: Int64) {
        guard let context, let cache = self.shared.cache else { return }
        let status = HTTPResponseStatus(statusCode: variant.metadata.status)
        let storedResponse = StoredResponse(
            status: status, headers: stored, requestTime: Instant(milliseconds: variant.metadata.requestTime),
            responseTime: Instant(milliseconds: variant.metadata.responseTime))
        var headers = stored
        var answerStatus = status
        var pieces: [StoredBodyStream.Piece] = []
        var firstRange: Range<Int64>?? = .some(nil)  // the whole body unless a plan says otherwise
        var length = variant.bodySize

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
            let boundary = "larder-" + String(variant.digest.hex.prefix(24))
            switch Ranges.plan(request: exchange.request, stored: storedResponse, completeLength: variant.bodySize,
                               boundary: boundary, configuration: cache.policy)
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
                    let header = Ranges.partHeader(range, completeLength: variant.bodySize, contentType: contentType,
                                                   boundary: boundary, isFirst: index == 0)
                    pieces += [.literal(Array(header.utf8)), .range(range)]
                }
                pieces.append(.literal(Array(Ranges.multipartTrailer(boundary: boundary).utf8)))
                firstRange = .none
                length = Ranges.multipartLength(ranges, completeLength: variant.bodySize, contentType: contentType,
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

        var body: StoredBodyStream?
        if case .some(let range) = firstRange, variant.bodySize > 0 {
            do {
                let reader = try cache.store.openBody(variant, range: range)
                body = StoredBodyStream(store: cache.store, variant: variant, first: reader, pieces: pieces)
            } catch {
                // The entry went away between lookup and read (purge, eviction): ask the origin instead.
                exchange.cacheStatus = CacheStatus(forward: .miss, detail: "entry-gone")
                exchange.upstream = .connecting(pendingBody: [])
                return self.connect(exchange, fresh: false)
            }
        } else if !pieces.isEmpty {
            body = StoredBodyStream(store: cache.store, variant: variant, first: nil, pieces: pieces)
        }

        headers.removeTargetedFields(cache.policy)
        headers.replaceOrAdd(name: "age", value: String(age))
        if answerStatus != .notModified {
            headers.replaceOrAdd(name: "content-length", value: String(length))
        }
        Forwarding.appendVia(to: &headers, receivedVersion: .http1_1, pseudonym: self.shared.configuration.viaName)
        exchange.cacheStatus?.append(to: &headers)
        self.setPersistence(of: exchange, in: &headers)
        cache.store.recordHit(variant)
        exchange.responseStarted = true
        exchange.log.status = answerStatus.code
        context.write(self.wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: answerStatus,
                                                                  headers: headers))), promise: nil)
        guard let body else {
            exchange.upstream = .none
            return self.endResponse(exchange)
        }
        exchange.upstream = .cached(body)
        self.pumpCachedBody()
    }

    /// Sends stored body bytes while the client can take them; resumes on writability changes.
    func pumpCachedBody() {
        guard let context, let exchange = self.exchange, case .cached(let body) = exchange.upstream else { return }
        while context.channel.isWritable {
            let next: StoredBodyStream.Next
            do {
                next = try body.next(maxBytes: 256 * 1024, allocator: context.channel.allocator)
            } catch {
                return self.abortConnection(reason: "stored body unreadable: \(error)")
            }
            switch next {
            case .bytes(let buffer):
                exchange.log.bytes += buffer.readableBytes
                context.write(self.wrapOutboundOut(.body(.byteBuffer(buffer))), promise: nil)
            case .end:
                body.close()
                exchange.upstream = .none
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
    /// methods (§4.4), and adds Cache-Status.
    func applyCache(_ cache: HTTPCache, to exchange: Exchange, response: HTTPResponseHead, headers: inout HTTPHeaders) {
        headers.removeTargetedFields(cache.policy)
        if !Invalidation.isSafe(exchange.request.method) {
            cache.invalidate(after: exchange.request, response: response)
        }
        if let key = exchange.cacheKey, exchange.request.method == .GET {
            switch cache.beginFill(
                request: exchange.request, key: key, response: response, requestTime: exchange.requestTime,
                responseTime: cache.clock())
            {
            case .success(let fill):
                exchange.fill = fill
                exchange.cacheStatus?.stored = true
            case .failure(let refusal):
                exchange.cacheStatus?.detail = refusal.detail
            }
        }
        exchange.cacheStatus?.forwardStatus = Int(response.status.code)
        exchange.cacheStatus?.append(to: &headers)
    }

    /// On the response to a revalidation: a matching 304 or an error under stale-if-error means the
    /// stored response answers (once this upstream exchange ends). Returns true when the origin's head
    /// is not to be forwarded.
    func applyValidation(_ head: HTTPResponseHead, to exchange: Exchange, over connection: UpstreamConnection) -> Bool {
        guard let revision = exchange.revision, let cache = self.shared.cache else { return false }
        switch cache.validated(revision, request: exchange.request, response: head, requestTime: exchange.requestTime) {
        case .freshened(let headers, let age):
            exchange.cacheStatus?.forwardStatus = Int(head.status.code)
            exchange.answerFromStore = (headers, age)
            return true
        case .serveStale(let age):
            exchange.cacheStatus?.forwardStatus = Int(head.status.code)
            exchange.cacheStatus?.detail = "stale-if-error"
            exchange.answerFromStore = (revision.stored.headers, age)
            return true
        case .unusable304:
            connection.abort()
            exchange.upstream = .none
            self.respondLocally(RequestRejection(
                .badGateway, "the origin's 304 matches no stored response", keepsConnection: exchange.requestEnded))
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
        exchange.cacheStatus?.detail = "stale-if-error"
        self.serveFromCache(exchange, variant: revision.variant, headers: revision.stored.headers, age: age)
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
