/// A point in time as the history API and `export` take it: milliseconds since the epoch
/// (`1764417600000`), ISO 8601 (`2026-11-29`, `2026-11-29T12:00:00Z`, `…12:00:00.250+01:00`;
/// no zone means UTC), or relative to now (`now`, `-1h`, `-15m`, `-30s`, `-7d`, `now-2h`).
public enum TimeArgument {
    /// µs since the epoch, or nil when `text` is none of those (or outside year 0…9999).
    public static func micros(_ text: String, nowMicros: Int64) -> Int64? {
        let text = text.trimmingPrefixAndSuffixSpaces()
        if text == "now" { return nowMicros }
        var relative = Substring(text)
        if relative.hasPrefix("now") { relative = relative.dropFirst(3) }
        if relative.hasPrefix("-"), let seconds = DurationText.seconds(String(relative.dropFirst())) {
            return nowMicros.subtractingSaturating(Int64(saturating: seconds * 1_000_000))
        }
        if !text.isEmpty, text.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 || $0 == 0x2e }),
           let ms = Double(text), ms.isFinite, ms <= maxMillis {
            return Int64(saturating: ms * 1000)
        }
        return iso8601(text)
    }

    static let maxMillis = 253_402_300_800_000.0  // 10000-01-01

    /// `YYYY-MM-DD[Thh:mm[:ss[.f…]]][Z|±hh:mm|±hhmm]` (a space may stand for the T).
    static func iso8601(_ text: String) -> Int64? {
        let b = Array(text.utf8)
        var i = 0
        func digits(_ n: Int) -> Int? {
            guard i + n <= b.count else { return nil }
            var v = 0
            for k in 0..<n {
                let c = b[i + k]
                guard c >= 0x30, c <= 0x39 else { return nil }
                v = v * 10 + Int(c - 0x30)
            }
            i += n
            return v
        }
        func take(_ c: UInt8) -> Bool {
            guard i < b.count, b[i] == c else { return false }
            i += 1
            return true
        }
        guard let year = digits(4), take(0x2d), let month = digits(2), take(0x2d), let day = digits(2),
              (1...12).contains(month), (1...daysIn(month: month, year: year)).contains(day) else { return nil }
        var seconds = Int64(daysFromCivil(year: year, month: month, day: day)) * 86_400
        var micros: Int64 = 0
        if take(0x54) || take(0x74) || take(0x20) {
            guard let hour = digits(2), take(0x3a), let minute = digits(2), hour < 24, minute < 60 else { return nil }
            seconds += Int64(hour * 3600 + minute * 60)
            if take(0x3a) {
                guard let second = digits(2), second < 61 else { return nil }
                seconds += Int64(second)
                if take(0x2e) || take(0x2c) {
                    var scale: Int64 = 100_000
                    var any = false
                    while i < b.count, b[i] >= 0x30, b[i] <= 0x39 {
                        micros += Int64(b[i] - 0x30) * scale
                        scale /= 10
                        i += 1
                        any = true
                    }
                    guard any else { return nil }
                }
            }
            if take(0x5a) || take(0x7a) {
            } else if i < b.count, b[i] == 0x2b || b[i] == 0x2d {
                let sign: Int64 = b[i] == 0x2d ? -1 : 1
                i += 1
                guard let hours = digits(2), hours < 24 else { return nil }
                _ = take(0x3a)
                guard let minutes = digits(2), minutes < 60 else { return nil }
                seconds -= sign * Int64(hours * 3600 + minutes * 60)
            }
        }
        guard i == b.count else { return nil }
        return seconds * 1_000_000 + micros
    }

    static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: return year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    /// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
    static func daysFromCivil(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = (month + 9) % 12
        let doy = (153 * mp + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }
}

extension String {
    fileprivate func trimmingPrefixAndSuffixSpaces() -> String {
        var s = Substring(self)
        while s.first == " " { s = s.dropFirst() }
        while s.last == " " { s = s.dropLast() }
        return String(s)
    }
}
