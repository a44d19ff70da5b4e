import HTTPRules

/// Size limits on what a client may send, checked while the request is read (RFC 9112 §2.3, §3, §5).
public struct RequestLimits: Sendable, Hashable {
    /// Longest request line; longer → 414.
    public var maxRequestLineBytes = 8 * 1024
    /// Most bytes of header fields (all lines after the request line); more → 431.
    public var maxHeaderBytes = 16 * 1024
    /// Most header fields; more → 431.
    public var maxHeaderCount = 100
    /// Largest request body; larger → 413 (by Content-Length before reading, or while reading chunks).
    public var maxBodyBytes: Int64 = 1 << 30
    /// Longest chunk-size line including extensions; longer → 400.
    public var maxChunkLineBytes = 1024

    public init() {}

    /// The head's limits as the shared scanner takes them (also a trailer section's).
    var head: HeadLimits {
        HeadLimits(
            firstLineBytes: self.maxRequestLineBytes, fieldBytes: self.maxHeaderBytes, fieldCount: self.maxHeaderCount)
    }
}
