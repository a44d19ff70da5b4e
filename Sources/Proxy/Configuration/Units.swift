import NIOCore

/// Parsing of the units operators write: sizes (`512MiB`) and durations (`30s`).
public enum Units {
    /// Parses a byte size: plain bytes, or a number with B, KB, MB, GB, TB (powers of 1000) or
    /// KiB, MiB, GiB, TiB (powers of 1024). Case-insensitive; `k`, `m`, `g`, `t` alone mean the binary units.
    public static func parseSize(_ text: String) -> Int64? {
        let trimmed = text.trimmingWhitespace()
        let digits = trimmed.prefix(while: { $0.isNumber || $0 == "." })
        let unit = trimmed.dropFirst(digits.count).trimmingWhitespace().lowercased()
        guard !digits.isEmpty, let number = Double(digits), number >= 0 else { return nil }
        let multipliers: [String: Double] = [
            "": 1, "b": 1,
            "k": 1024, "kib": 1024, "kb": 1000,
            "m": Double(1 << 20), "mib": Double(1 << 20), "mb": 1e6,
            "g": Double(1 << 30), "gib": Double(1 << 30), "gb": 1e9,
            "t": Double(1 << 40), "tib": Double(1 << 40), "tb": 1e12,
        ]
        guard let multiplier = multipliers[unit] else { return nil }
        let bytes = number * multiplier
        guard bytes < 9e18, bytes == bytes.rounded() || unit != "" else { return nil }
        return Int64(bytes.rounded())
    }

    /// Parses a duration: a number with `ms`, `s`, `m` or `h`; a plain number means seconds.
    public static func parseDuration(_ text: String) -> TimeAmount? {
        let trimmed = text.trimmingWhitespace()
        let digits = trimmed.prefix(while: { $0.isNumber || $0 == "." })
        let unit = trimmed.dropFirst(digits.count).trimmingWhitespace().lowercased()
        guard !digits.isEmpty, let number = Double(digits), number >= 0 else { return nil }
        let seconds: Double
        switch unit {
        case "ms": seconds = number / 1000
        case "", "s": seconds = number
        case "m", "min": seconds = number * 60
        case "h": seconds = number * 3600
        default: return nil
        }
        guard seconds < 1e9 else { return nil }
        return .nanoseconds(Int64(seconds * 1e9))
    }
}

extension StringProtocol {
    func trimmingWhitespace() -> String {
        var text = Substring(String(self))
        while let first = text.first, first.isWhitespace { text.removeFirst() }
        while let last = text.last, last.isWhitespace { text.removeLast() }
        return String(text)
    }
}
