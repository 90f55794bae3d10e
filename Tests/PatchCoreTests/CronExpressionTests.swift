import Testing

@testable import PatchCore

@Suite("Cron expressions (UTC)")
struct CronExpressionTests {
    static func at(_ s: String) -> UTCInstant { UTCInstant(iso8601: s)! }

    @Test(
        "the next time",
        arguments: [
            ("* * * * *", "2026-11-22T10:15:30Z", "2026-11-22T10:16:00Z"),
            ("0 3 * * *", "2026-11-22T03:00:00Z", "2026-11-23T03:00:00Z"),
            ("*/15 * * * *", "2026-11-22T10:16:00Z", "2026-11-22T10:30:00Z"),
            ("0 2 * * SUN", "2026-11-22T10:00:00Z", "2026-11-29T02:00:00Z"),  // 2026-11-22 is a Sunday
            ("0 2 * * 7", "2026-11-21T10:00:00Z", "2026-11-22T02:00:00Z"),
            ("30 4 1 JAN,jul *", "2026-11-22T00:00:00Z", "2027-01-01T04:30:00Z"),
            ("0 0 29 2 *", "2026-11-22T00:00:00Z", "2028-02-29T00:00:00Z"),
            ("0 12 13 * FRI", "2026-11-22T00:00:00Z", "2026-11-27T12:00:00Z"),  // either day field
            ("0 0 1-7/3 * *", "2026-11-22T00:00:00Z", "2026-12-01T00:00:00Z"),
            ("59 23 31 12 *", "2026-12-31T23:59:00Z", "2027-12-31T23:59:00Z"),
        ])
    func next(expression: String, after: String, expected: String) throws {
        let cron = try CronExpression(expression)
        #expect(cron.next(after: Self.at(after)) == Self.at(expected))
    }

    @Test("an impossible date never fires")
    func never() throws {
        #expect(try CronExpression("0 0 30 2 *").next(after: Self.at("2026-01-01T00:00:00Z")) == nil)
    }

    @Test(
        "errors say which field and why",
        arguments: [
            ("* * * *", "expected 5 fields"), ("60 * * * *", "minute 60 is outside 0...59"),
            ("* 24 * * *", "hour 24"), ("* * 0 * *", "day of month 0"), ("* * * FOO *", "month: \"FOO\""),
            ("*/0 * * * *", "step \"0\""), ("5-1 * * * *", "runs backwards"), ("1,,2 * * * *", "empty list element"),
        ])
    func errors(expression: String, fragment: String) {
        #expect {
            _ = try CronExpression(expression)
        } throws: { "\($0)".contains(fragment) }
    }
}
