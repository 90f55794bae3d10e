/// A calendar date in UTC (`YYYY-MM-DD`), as ApproveUntilDate holds it.
public struct CalendarDate: Sendable, Hashable, Comparable, CustomStringConvertible {
    public let year: Int
    public let month: Int
    public let day: Int

    /// Days since 1970-01-01.
    public var daysSinceEpoch: Int64 { CalendarDate.days(fromYear: year, month: month, day: day) }

    /// Parses exactly `YYYY-MM-DD` and checks that the day exists in that month.
    public init?(parsing text: String) {
        let u = Array(text.utf8)
        guard u.count == 10, u[4] == UInt8(ascii: "-"), u[7] == UInt8(ascii: "-") else { return nil }
        func number(_ range: Range<Int>) -> Int? {
            var n = 0
            for i in range {
                guard u[i] >= 0x30 && u[i] <= 0x39 else { return nil }
                n = n * 10 + Int(u[i] - 0x30)
            }
            return n
        }
        guard let y = number(0..<4), let m = number(5..<7), let d = number(8..<10) else { return nil }
        guard (1...12).contains(m), d >= 1, d <= CalendarDate.daysInMonth(year: y, month: m) else { return nil }
        self.init(uncheckedYear: y, month: m, day: d)
    }

    init(uncheckedYear year: Int, month: Int, day: Int) {
        self.year = year
        self.month = month
        self.day = day
    }

    public init(daysSinceEpoch z0: Int64) {
        // Howard Hinnant's civil_from_days.
        let z = z0 + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        let y = yoe + era * 400 + (m <= 2 ? 1 : 0)
        self.init(uncheckedYear: Int(y), month: Int(m), day: Int(d))
    }

    public static func daysInMonth(year: Int, month: Int) -> Int {
        switch month {
        case 2: return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    static func days(fromYear y0: Int, month m: Int, day d: Int) -> Int64 {
        // Howard Hinnant's days_from_civil.
        let y = Int64(m <= 2 ? y0 - 1 : y0)
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = Int64(m > 2 ? m - 3 : m + 9)
        let doy = (153 * mp + 2) / 5 + Int64(d) - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    public static func < (a: CalendarDate, b: CalendarDate) -> Bool {
        (a.year, a.month, a.day) < (b.year, b.month, b.day)
    }

    public var description: String {
        func pad(_ n: Int, _ width: Int) -> String {
            let s = String(n)
            return String(repeating: "0", count: max(0, width - s.count)) + s
        }
        return "\(pad(year, 4))-\(pad(month, 2))-\(pad(day, 2))"
    }
}

/// An instant in UTC, in whole seconds since 1970-01-01T00:00:00Z.
///
/// PatchCore has no clock: callers pass the operation's time in.
public struct UTCInstant: Sendable, Hashable, Comparable, CustomStringConvertible {
    public var secondsSinceEpoch: Int64

    public init(secondsSinceEpoch: Int64) { self.secondsSinceEpoch = secondsSinceEpoch }

    public init(_ date: CalendarDate, hour: Int = 0, minute: Int = 0, second: Int = 0) {
        secondsSinceEpoch = date.daysSinceEpoch * 86_400 + Int64(hour * 3600 + minute * 60 + second)
    }

    /// Parses `YYYY-MM-DDTHH:MM:SS[.fff](Z|±HH:MM)` or a bare `YYYY-MM-DD` (midnight UTC).
    public init?(iso8601 text: String) {
        let u = Array(text.utf8)
        guard u.count >= 10, let date = CalendarDate(parsing: String(decoding: u[0..<10], as: UTF8.self)) else {
            return nil
        }
        if u.count == 10 {
            self.init(date)
            return
        }
        guard u.count >= 20, u[10] == UInt8(ascii: "T") || u[10] == UInt8(ascii: " "),
            u[13] == UInt8(ascii: ":"), u[16] == UInt8(ascii: ":")
        else { return nil }
        func two(_ i: Int) -> Int? {
            guard u[i] >= 0x30 && u[i] <= 0x39 && u[i + 1] >= 0x30 && u[i + 1] <= 0x39 else { return nil }
            return Int(u[i] - 0x30) * 10 + Int(u[i + 1] - 0x30)
        }
        guard let h = two(11), let m = two(14), let s = two(17), h < 24, m < 60, s < 61 else { return nil }
        var i = 19
        if u[i] == UInt8(ascii: ".") {
            i += 1
            while i < u.count && u[i] >= 0x30 && u[i] <= 0x39 { i += 1 }
        }
        var offset = 0
        if i == u.count - 1 && (u[i] == UInt8(ascii: "Z") || u[i] == UInt8(ascii: "z")) {
            offset = 0
        } else if i + 6 == u.count && (u[i] == UInt8(ascii: "+") || u[i] == UInt8(ascii: "-"))
            && u[i + 3] == UInt8(ascii: ":")
        {
            guard let oh = two(i + 1), let om = two(i + 4) else { return nil }
            offset = (oh * 60 + om) * 60 * (u[i] == UInt8(ascii: "-") ? -1 : 1)
        } else {
            return nil
        }
        self.init(date, hour: h, minute: m, second: s)
        secondsSinceEpoch -= Int64(offset)
    }

    public var date: CalendarDate {
        let days = secondsSinceEpoch >= 0 ? secondsSinceEpoch / 86_400 : (secondsSinceEpoch - 86_399) / 86_400
        return CalendarDate(daysSinceEpoch: days)
    }

    /// `YYYY-MM-DDTHH:MM:SSZ`, the format AWS inventory uses.
    public var iso8601: String {
        let d = date
        let rem = secondsSinceEpoch - d.daysSinceEpoch * 86_400
        func pad(_ n: Int64) -> String { n < 10 ? "0\(n)" : "\(n)" }
        return "\(d)T\(pad(rem / 3600)):\(pad(rem / 60 % 60)):\(pad(rem % 60))Z"
    }

    public var description: String { iso8601 }

    public static func < (a: UTCInstant, b: UTCInstant) -> Bool { a.secondsSinceEpoch < b.secondsSinceEpoch }
}
