/// Where `actual` first differs from `expected`, or nil when they are equal.
///
/// For bodies: `#expect(firstDifference(received, expected) == nil)` fails at once and names the offset, where
/// `#expect(received == expected)` has Swift Testing diff the two arrays when they differ, which takes quadratic
/// time: minutes, or a hung test run, for bodies of a few hundred KiB of unlike bytes.
public func firstDifference(_ actual: [UInt8], _ expected: [UInt8]) -> String? {
    if actual == expected { return nil }
    let common = min(actual.count, expected.count)
    let offset = (0..<common).first { actual[$0] != expected[$0] } ?? common
    let byte = { (bytes: [UInt8]) in offset < bytes.count ? "0x" + String(bytes[offset], radix: 16) : "the end" }
    return "byte \(offset): \(byte(actual)) where \(byte(expected)) was expected "
        + "(\(actual.count) bytes, \(expected.count) expected)"
}

/// ``firstDifference(_:_:)`` for lists of bodies: names the first body that differs and where.
public func firstDifference(_ actual: [[UInt8]], _ expected: [[UInt8]]) -> String? {
    guard actual.count == expected.count else { return "\(actual.count) bodies, \(expected.count) expected" }
    for (index, (body, expectedBody)) in zip(actual, expected).enumerated() {
        if let difference = firstDifference(body, expectedBody) { return "body \(index), \(difference)" }
    }
    return nil
}
