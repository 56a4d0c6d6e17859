/// A wall-clock date and time without a time zone (EDF, BIDS and NIfTI store local time), with nanosecond precision.
public struct LocalDateTime: Equatable, Comparable, Sendable, CustomStringConvertible {
    public var year: Int
    public var month: Int
    public var day: Int
    public var hour: Int
    public var minute: Int
    public var second: Int
    /// Fraction of the second in nanoseconds, `0..<1_000_000_000`.
    public var nanosecond: Int

    public init(year: Int, month: Int, day: Int, hour: Int = 0, minute: Int = 0, second: Int = 0, nanosecond: Int = 0) {
        self.year = year
        self.month = month
        self.day = day
        self.hour = hour
        self.minute = minute
        self.second = second
        self.nanosecond = nanosecond
    }

    /// True when the fields form a real calendar date and time of day.
    public var isValid: Bool {
        guard (1...12).contains(month), day >= 1, day <= LocalDateTime.daysInMonth(year: year, month: month) else { return false }
        return (0...23).contains(hour) && (0...59).contains(minute) && (0...60).contains(second)
            && (0..<1_000_000_000).contains(nanosecond)
    }

    static func daysInMonth(year: Int, month: Int) -> Int {
        switch month {
        case 2: return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    /// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil).
    static func daysFromCivil(_ y0: Int, _ m: Int, _ d: Int) -> Int {
        let y = m <= 2 ? y0 - 1 : y0
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146097 + doe - 719468
    }

    static func civilFromDays(_ z0: Int) -> (Int, Int, Int) {
        let z = z0 + 719468
        let era = (z >= 0 ? z : z - 146096) / 146097
        let doe = z - era * 146097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        return (yoe + era * 400 + (m <= 2 ? 1 : 0), m, d)
    }

    /// Nanoseconds since 1970-01-01T00:00:00 of the same (zone-less) clock.
    public var nanosecondsSinceEpoch: Int {
        let days = LocalDateTime.daysFromCivil(year, month, day)
        return ((days * 86_400 + hour * 3600 + minute * 60 + second) * 1_000_000_000) + nanosecond
    }

    public init(nanosecondsSinceEpoch ns: Int) {
        let secs = ns >= 0 ? ns / 1_000_000_000 : (ns - 999_999_999) / 1_000_000_000
        let frac = ns - secs * 1_000_000_000
        let days = secs >= 0 ? secs / 86_400 : (secs - 86_399) / 86_400
        let sod = secs - days * 86_400
        let (y, m, d) = LocalDateTime.civilFromDays(days)
        self.init(year: y, month: m, day: d, hour: sod / 3600, minute: (sod % 3600) / 60, second: sod % 60, nanosecond: frac)
    }

    /// This time shifted by `seconds` (may be negative), rounded to the nearest nanosecond.
    public func adding(seconds: Double) -> LocalDateTime {
        LocalDateTime(nanosecondsSinceEpoch: nanosecondsSinceEpoch + Int((seconds * 1e9).rounded()))
    }

    /// ISO 8601 `YYYY-MM-DDTHH:MM:SS.f` with the fraction's trailing zeros trimmed (at least one digit).
    public var iso8601: String {
        func pad(_ v: Int, _ w: Int) -> String {
            let s = String(v)
            return String(repeating: "0", count: max(0, w - s.count)) + s
        }
        var frac = pad(nanosecond, 9)
        while frac.count > 1 && frac.hasSuffix("0") { frac.removeLast() }
        return "\(pad(year, 4))-\(pad(month, 2))-\(pad(day, 2))T\(pad(hour, 2)):\(pad(minute, 2)):\(pad(second, 2)).\(frac)"
    }

    public var description: String { iso8601 }

    public static func < (lhs: LocalDateTime, rhs: LocalDateTime) -> Bool {
        lhs.nanosecondsSinceEpoch < rhs.nanosecondsSinceEpoch
    }
}
