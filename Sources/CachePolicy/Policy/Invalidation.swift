import NIOHTTP1

/// Invalidation of stored responses after a state-changing request (RFC 9111 §4.4).
public enum Invalidation {
    /// Methods defined as safe (RFC 9110 §9.2.1). Every other method, including unknown ones, is unsafe.
    public static func isSafe(_ method: HTTPMethod) -> Bool {
        switch method {
        case .GET, .HEAD, .OPTIONS, .TRACE: return true
        default: return false
        }
    }

    /// The URIs whose stored responses must be invalidated after `method` got a response with `status` and
    /// `responseHeaders` (RFC 9111 §4.4): when the method is unsafe and the status is not an error (2xx or 3xx),
    /// the target URI, then the `Location` and `Content-Location` URIs resolved against it — each only when it has
    /// the same origin (scheme, host and port) as the target, so a response cannot make the cache drop another
    /// site's entries. Empty otherwise. URIs with the same cache key appear once; the target comes first.
    public static func urisToInvalidate(
        method: HTTPMethod,
        target: EffectiveURI,
        status: HTTPResponseStatus,
        responseHeaders: HTTPHeaders
    ) -> [EffectiveURI] {
        guard !Self.isSafe(method), (200..<400).contains(status.code) else { return [] }
        var uris = [target]
        var keys: Set = [CacheKey.make(target)]
        for field in ["location", "content-location"] {
            guard let value = responseHeaders[field].first, let uri = target.resolving(value),
                uri.isSameOrigin(as: target), keys.insert(CacheKey.make(uri)).inserted
            else { continue }
            uris.append(uri)
        }
        return uris
    }
}
