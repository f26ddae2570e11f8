/// A span of time as a person writes it on a command line: `90` or `90s`, `10m`, `1.5h`,
/// `7d`, `2w`. Refuses what is not one (no sign, no NaN, nothing past 100 years), so the
/// number can go into any clock arithmetic without a check of its own.
public enum DurationText {
    public static let maxSeconds: Double = 100 * 365 * 86_400

    /// The span in seconds, or nil when `text` is not one.
    public static func seconds(_ text: String) -> Double? {
        let units: [Character: Double] = ["s": 1, "m": 60, "h": 3_600, "d": 86_400, "w": 604_800]
        var number = Substring(text)
        var scale: Double = 1
        if let last = number.last, let unit = units[last] {
            scale = unit
            number = number.dropLast()
        }
        guard !number.isEmpty, number.allSatisfy({ $0.isASCII && ($0.isNumber || $0 == ".") }),
              let value = Double(number), value.isFinite else { return nil }
        let seconds = value * scale
        return seconds <= maxSeconds ? seconds : nil
    }
}
