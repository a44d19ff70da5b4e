/// A point in time, in whole seconds since the Unix epoch (1970-01-01T00:00:00Z).
///
/// Every decision in this module takes time as a parameter instead of reading a clock, so each rule is a
/// plain function of its inputs. One second is the resolution of HTTP dates (RFC 9110 §5.6.7) and of
/// delta-seconds (RFC 9111 §1.2.2), so nothing finer is kept; durations are `Int64` seconds throughout.
public struct Instant: Hashable, Comparable, Sendable, Codable, CustomStringConvertible {
    public var secondsSinceEpoch: Int64

    public init(secondsSinceEpoch: Int64) {
        self.secondsSinceEpoch = secondsSinceEpoch
    }

    public static func < (lhs: Instant, rhs: Instant) -> Bool {
        lhs.secondsSinceEpoch < rhs.secondsSinceEpoch
    }

    /// This instant moved by `seconds` (negative moves back).
    public func adding(seconds: Int64) -> Instant {
        Instant(secondsSinceEpoch: self.secondsSinceEpoch.addingSaturated(seconds))
    }

    /// Seconds from `earlier` to this instant (negative when `earlier` is later).
    public func seconds(since earlier: Instant) -> Int64 {
        self.secondsSinceEpoch.addingSaturated(-earlier.secondsSinceEpoch)
    }

    /// The IMF-fixdate form (RFC 9110 §5.6.7).
    public var description: String { HTTPDate.format(self) }
}

extension Int64 {
    /// Addition that stops at the bounds instead of trapping: ages and lifetimes come from the network.
    func addingSaturated(_ other: Int64) -> Int64 {
        let (sum, overflow) = self.addingReportingOverflow(other)
        if overflow { return other > 0 ? .max : .min }
        return sum
    }
}
