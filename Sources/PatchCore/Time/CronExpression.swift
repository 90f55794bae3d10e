/// A five-field cron expression (`minute hour day-of-month month day-of-week`), evaluated in UTC.
///
/// Fields take `*`, numbers, ranges (`1-5`), lists (`1,15`), steps (`*/10`, `0-30/5`) and names (`JAN`–`DEC`,
/// `SUN`–`SAT`; 7 is Sunday too). As in Vixie cron, when both day fields are restricted a day matches either.
public struct CronExpression: Sendable, Hashable, CustomStringConvertible {
    public let text: String
    let minutes: Set<Int>
    let hours: Set<Int>
    let daysOfMonth: Set<Int>
    let months: Set<Int>
    let daysOfWeek: Set<Int>
    let dayOfMonthRestricted: Bool
    let dayOfWeekRestricted: Bool

    public struct ParseError: Error, Sendable, CustomStringConvertible {
        public var description: String
    }

    public init(_ text: String) throws(ParseError) {
        self.text = text
        let fields = text.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
        guard fields.count == 5 else {
            throw ParseError(
                description: "\"\(text)\": expected 5 fields (minute hour day month weekday), found \(fields.count)")
        }
        let monthNames = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"]
        let dayNames = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"]
        minutes = try CronExpression.field(fields[0], 0...59, names: [], what: "minute")
        hours = try CronExpression.field(fields[1], 0...23, names: [], what: "hour")
        daysOfMonth = try CronExpression.field(fields[2], 1...31, names: [], what: "day of month")
        months = try CronExpression.field(fields[3], 1...12, names: monthNames, nameBase: 1, what: "month")
        var dow = try CronExpression.field(fields[4], 0...7, names: dayNames, what: "day of week")
        if dow.remove(7) != nil { dow.insert(0) }
        daysOfWeek = dow
        dayOfMonthRestricted = !fields[2].hasPrefix("*")
        dayOfWeekRestricted = !fields[4].hasPrefix("*")
    }

    public var description: String { text }

    private static func field(
        _ text: String, _ range: ClosedRange<Int>, names: [String], nameBase: Int = 0, what: String
    ) throws(ParseError) -> Set<Int> {
        func value(_ s: Substring) throws(ParseError) -> Int {
            if let n = Int(s) {
                guard range.contains(n) else {
                    throw ParseError(description: "\(what) \(n) is outside \(range.lowerBound)...\(range.upperBound)")
                }
                return n
            }
            if let i = names.firstIndex(of: s.uppercased()) { return i + nameBase }
            throw ParseError(description: "\(what): \"\(s)\" is not a number\(names.isEmpty ? "" : " or a name")")
        }
        var out: Set<Int> = []
        for part in text.split(separator: ",", omittingEmptySubsequences: false) {
            guard !part.isEmpty else { throw ParseError(description: "\(what): empty list element in \"\(text)\"") }
            let pieces = part.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
            var step = 1
            if pieces.count == 2 {
                guard let s = Int(pieces[1]), s > 0 else {
                    throw ParseError(description: "\(what): step \"\(pieces[1])\" must be a positive number")
                }
                step = s
            }
            let base = pieces[0]
            let low: Int
            let high: Int
            if base == "*" {
                low = range.lowerBound
                high = range.upperBound
            } else if let dash = base.firstIndex(of: "-") {
                low = try value(base[..<dash])
                high = try value(base[base.index(after: dash)...])
                guard low <= high else { throw ParseError(description: "\(what): range \(base) runs backwards") }
            } else {
                low = try value(base)
                high = pieces.count == 2 ? range.upperBound : low
            }
            out.formUnion(stride(from: low, through: high, by: step))
        }
        return out
    }

    func matches(_ date: CalendarDate, hour: Int, minute: Int) -> Bool {
        minutes.contains(minute) && hours.contains(hour) && months.contains(date.month) && dayMatches(date)
    }

    /// The first matching minute strictly after `instant`, within five years (nil: never, e.g. `0 0 30 2 *`).
    public func next(after instant: UTCInstant) -> UTCInstant? {
        var t = (instant.secondsSinceEpoch / 60 + 1) * 60
        let limit = t + 5 * 366 * 86_400
        while t < limit {
            let days = t >= 0 ? t / 86_400 : (t - 86_399) / 86_400
            let date = CalendarDate(daysSinceEpoch: days)
            let secondsOfDay = t - days * 86_400
            // Skip whole days (or months) that cannot match, minute by minute only within a matching day.
            if !months.contains(date.month) || !dayMatches(date) {
                t = (days + 1) * 86_400
                continue
            }
            let hour = Int(secondsOfDay / 3600)
            if !hours.contains(hour) {
                t = days * 86_400 + Int64(hour + 1) * 3600
                continue
            }
            if matches(date, hour: hour, minute: Int(secondsOfDay / 60 % 60)) {
                return UTCInstant(secondsSinceEpoch: t)
            }
            t += 60
        }
        return nil
    }

    private func dayMatches(_ date: CalendarDate) -> Bool {
        let weekday = Int(((date.daysSinceEpoch % 7) + 7 + 4) % 7)
        let dom = daysOfMonth.contains(date.day)
        let dow = daysOfWeek.contains(weekday)
        switch (dayOfMonthRestricted, dayOfWeekRestricted) {
        case (true, true): return dom || dow
        case (true, false): return dom
        case (false, true): return dow
        case (false, false): return true
        }
    }
}
