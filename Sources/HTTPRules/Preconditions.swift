import NIOHTTP1

extension HTTPHeaders {
    /// True when the request carries a precondition or If-Range (RFC 9110 §13.1): a cache that revalidates
    /// for such a client forwards the client's own conditions instead of its stored validators.
    public var hasPreconditions: Bool {
        ["if-match", "if-none-match", "if-modified-since", "if-unmodified-since", "if-range"].contains {
            self.contains(name: $0)
        }
    }
}
