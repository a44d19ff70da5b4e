import NIOHTTP1

/// The age of a stored response, computed exactly as RFC 9111 §4.2.3 does, each step named after the RFC.
///
/// Input rules: the `Age` field's first member is used and an invalid one (negative, decimal, not a number) is
/// ignored (RFC 9111 §5.1); the `Date` field's first line is used and an invalid or missing one is replaced by the
/// response time (RFC 9110 §6.6.1). Two guards the RFC leaves implicit: `response_delay` and `resident_time` are
/// never negative (a clock step backwards must not make a response younger), and all sums saturate.
public struct AgeCalculation: Hashable, Sendable {
    /// `age_value`: the `Age` field, 0 when absent or invalid.
    public var ageValue: Int64
    /// `date_value`: the `Date` field, or the response time when absent or invalid.
    public var dateValue: Instant
    /// `request_time`.
    public var requestTime: Instant
    /// `response_time`.
    public var responseTime: Instant
}

extension AgeCalculation {
    /// Reads `Age` and `Date` from a response's header fields.
    public init(headers: HTTPHeaders, requestTime: Instant, responseTime: Instant) {
        self.init(
            ageValue: Self.ageValue(headers) ?? 0,
            dateValue: Self.dateValue(headers, now: responseTime) ?? responseTime,
            requestTime: requestTime,
            responseTime: responseTime
        )
    }

    public init(_ stored: StoredResponse) {
        self.init(headers: stored.headers, requestTime: stored.requestTime, responseTime: stored.responseTime)
    }

    /// `apparent_age = max(0, response_time - date_value)`
    public var apparentAge: Int64 { max(0, self.responseTime.seconds(since: self.dateValue)) }

    /// `response_delay = response_time - request_time`
    public var responseDelay: Int64 { max(0, self.responseTime.seconds(since: self.requestTime)) }

    /// `corrected_age_value = age_value + response_delay`
    public var correctedAgeValue: Int64 { self.ageValue.addingSaturated(self.responseDelay) }

    /// `corrected_initial_age = max(apparent_age, corrected_age_value)`
    public var correctedInitialAge: Int64 { max(self.apparentAge, self.correctedAgeValue) }

    /// `resident_time = now - response_time`
    public func residentTime(now: Instant) -> Int64 { max(0, now.seconds(since: self.responseTime)) }

    /// `current_age = corrected_initial_age + resident_time`
    public func currentAge(now: Instant) -> Int64 {
        self.correctedInitialAge.addingSaturated(self.residentTime(now: now))
    }

    /// The `Age` field a stored response carries: its first member when that is a valid delta-seconds
    /// (RFC 9111 §5.1); `nil` when absent or invalid.
    public static func ageValue(_ headers: HTTPHeaders) -> Int64? {
        FieldSyntax.listMembers(headers, "age").first.flatMap { DeltaSeconds.parse($0) }
    }

    /// The `Date` field when its first line is a valid HTTP-date.
    public static func dateValue(_ headers: HTTPHeaders, now: Instant) -> Instant? {
        HTTPDate.field("date", in: headers, now: now)
    }

    /// The value of the `Age` field sent with a response served from cache (RFC 9111 §5.1): the current age,
    /// clamped to `0...2^31`.
    public static func fieldValue(currentAge: Int64) -> String {
        String(DeltaSeconds.clamp(currentAge))
    }
}
