import NIOHTTP1

extension HTTPHeaders {
    /// True when the request carries a precondition or If-Range (RFC 9110 §13.1): a cache that revalidates
    /// for such a client forwards the client's own conditions instead of its stored validators.
    public var hasPreconditions: Bool {
        // One pass over the names: every one starts with "If-", and few fields do.
        self.contains { field in
            let name = field.name.utf8
            guard name.count >= 7, name.first! | 0x20 == UInt8(ascii: "i") else { return false }
            return Self.preconditionNames.contains { equalsIgnoringCase(field.name, $0) }
        }
    }

    private static let preconditionNames = [
        "if-match", "if-none-match", "if-modified-since", "if-unmodified-since", "if-range",
    ]
}
