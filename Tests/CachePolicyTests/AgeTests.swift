import CachePolicy
import NIOHTTP1
import Testing

struct AgeCase: Sendable, CustomTestStringConvertible {
    let name: String
    let pairs: [(String, String)]
    /// Seconds before `t0` the request was sent; the response arrives at `t0`.
    let requestDelay: Int64
    let now: Int64
    let apparentAge: Int64
    let correctedInitialAge: Int64
    let currentAge: Int64
    var testDescription: String { self.name }
}

@Suite("Age (RFC 9111 §4.2.3, §5.1)")
struct AgeTests {
    @Test(
        "§4.2.3: apparent_age, corrected_initial_age and current_age",
        arguments: [
            AgeCase(
                name: "no Age, Date at receipt: response delay and resident time", pairs: [("Date", "@+0")],
                requestDelay: 1, now: 10, apparentAge: 0, correctedInitialAge: 1, currentAge: 11),
            AgeCase(
                name: "Age from upstream plus response delay", pairs: [("Date", "@+0"), ("Age", "15")],
                requestDelay: 2, now: 0, apparentAge: 0, correctedInitialAge: 17, currentAge: 17),
            AgeCase(
                name: "a Date 100 s old counts when larger than Age", pairs: [("Date", "@-100"), ("Age", "30")],
                requestDelay: 0, now: 5, apparentAge: 100, correctedInitialAge: 100, currentAge: 105),
            AgeCase(
                name: "a Date in the future gives no negative age", pairs: [("Date", "@+50")],
                requestDelay: 0, now: 3, apparentAge: 0, correctedInitialAge: 0, currentAge: 3),
            AgeCase(
                name: "missing Date: the response time stands in", pairs: [("Age", "7")],
                requestDelay: 0, now: 1, apparentAge: 0, correctedInitialAge: 7, currentAge: 8),
            AgeCase(
                name: "invalid Date: the response time stands in", pairs: [("Date", "yesterday")],
                requestDelay: 0, now: 4, apparentAge: 0, correctedInitialAge: 0, currentAge: 4),
            AgeCase(
                name: "a clock before the response time gives no negative resident time", pairs: [("Date", "@+0")],
                requestDelay: 0, now: -30, apparentAge: 0, correctedInitialAge: 0, currentAge: 0),
            AgeCase(
                name: "slow Date and Age: Date -10, Age 25", pairs: [("Date", "@-10"), ("Age", "25")],
                requestDelay: 0, now: 0, apparentAge: 10, correctedInitialAge: 25, currentAge: 25),
        ]
    )
    func algorithm(_ testCase: AgeCase) {
        let age = AgeCalculation(
            headers: fields(testCase.pairs), requestTime: at(-testCase.requestDelay), responseTime: t0)
        #expect(age.apparentAge == testCase.apparentAge)
        #expect(age.correctedInitialAge == testCase.correctedInitialAge)
        #expect(age.currentAge(now: at(testCase.now)) == testCase.currentAge)
    }

    @Test(
        "§5.1: the first member of Age is used; an invalid one is ignored",
        arguments: [
            ([("Age", "15")], Int64?.some(15)),
            ([("Age", "abc")], nil),
            ([("Age", "-7200")], nil),
            ([("Age", "7200.0")], nil),
            ([("Age", "7200,0")], 7200),
            ([("Age", "0, 7200")], 0),
            ([("Age", "0"), ("Age", "7200")], 0),
            ([("Age", "7200"), ("Age", "0")], 7200),
            ([("Age", "99999999999")], 2_147_483_648),
            ([], nil),
        ] as [([(String, String)], Int64?)]
    )
    func ageValue(pairs: [(String, String)], expected: Int64?) {
        #expect(AgeCalculation.ageValue(fields(pairs)) == expected)
    }

    @Test(
        "§5.1: the Age field sent downstream is clamped to 0...2^31",
        arguments: [(Int64(42), "42"), (-5, "0"), (1 << 40, "2147483648")]
    )
    func fieldValue(age: Int64, text: String) {
        #expect(AgeCalculation.fieldValue(currentAge: age) == text)
    }
}
