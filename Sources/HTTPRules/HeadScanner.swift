import NIOCore

/// Progress through a block of CRLF-terminated lines ending in an empty line: a head, or a trailer
/// section. Bytes are scanned once, however many reads the block arrives in.
public struct HeadScanner: Sendable {
    /// Offset from the reader index up to which bytes have been scanned.
    private var scanned = 0
    /// Offset where the current line starts.
    private var lineStart = 0
    /// Bytes of the first line including its CRLF, once seen (0 for a trailer section, which has none).
    public private(set) var firstLineLength: Int?
    /// Field lines seen so far.
    public private(set) var fieldCount = 0

    /// A scanner for a head, which starts with a start line.
    public init() {}

    /// A scanner for a trailer section: field lines only.
    public static var trailers: HeadScanner {
        var scanner = HeadScanner()
        scanner.firstLineLength = 0
        return scanner
    }

    /// Scans `buffer`'s readable bytes for the empty line ending the block. Returns the block's length
    /// including that line, or nil when more bytes are needed. Refuses a line not ended by CRLF and a
    /// block over `limits` as soon as it sees one, complete or not.
    public mutating func scan(_ buffer: ByteBuffer, limits: HeadLimits) throws(MessageSyntaxError) -> Int? {
        let outcome: Result<Int?, MessageSyntaxError> = buffer.withUnsafeReadableBytes { bytes in
            Result { () throws(MessageSyntaxError) in try self.scan(bytes, limits: limits) }
        }
        return try outcome.get()
    }

    private mutating func scan(_ bytes: UnsafeRawBufferPointer, limits: HeadLimits) throws(MessageSyntaxError) -> Int? {
        while self.scanned < bytes.count {
            guard let lf = MessageSyntax.indexOfLF(in: bytes, from: self.scanned) else {
                self.scanned = bytes.count
                break
            }
            guard lf > self.lineStart, bytes[lf - 1] == 0x0D else {
                throw .malformed("line not terminated by CRLF")
            }
            let lineLength = lf + 1 - self.lineStart
            self.scanned = lf + 1
            self.lineStart = lf + 1
            guard let firstLineLength = self.firstLineLength else {
                guard lineLength - 2 <= limits.firstLineBytes else { throw .firstLineTooLong }
                self.firstLineLength = lineLength
                continue
            }
            if lineLength == 2 {
                return lf + 1
            }
            self.fieldCount += 1
            guard self.fieldCount <= limits.fieldCount else { throw .tooManyFields }
            guard lf + 1 - firstLineLength <= limits.fieldBytes + 2 else { throw .fieldsTooLarge }
        }
        // Incomplete: refuse as soon as the partial block is already over its limit.
        if let first = self.firstLineLength {
            if bytes.count - first > limits.fieldBytes + 2 { throw .fieldsTooLarge }
        } else if bytes.count > limits.firstLineBytes + 2 {
            throw .firstLineTooLong
        }
        return nil
    }
}
