/// Non-negative integer seconds as written in `max-age`, `Age` and friends (RFC 9111 §1.2.2).
enum DeltaSeconds {
    /// The value a cache uses for anything larger than it can represent: 2^31 (RFC 9111 §1.2.2).
    static let maximum: Int64 = 2_147_483_648

    /// Parses `1*DIGIT`; `nil` for anything else (signs, decimals, spaces, empty). Values above 2^31 become 2^31.
    static func parse(_ text: Substring) -> Int64? {
        guard !text.isEmpty else { return nil }
        var value: Int64 = 0
        for byte in text.utf8 {
            guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { return nil }
            if value < Self.maximum {
                value = value * 10 + Int64(byte - UInt8(ascii: "0"))
            }
        }
        return min(value, Self.maximum)
    }

    /// Clamps a computed duration to `0...2^31`, as the value written in an `Age` field.
    static func clamp(_ value: Int64) -> Int64 {
        min(max(value, 0), Self.maximum)
    }
}
