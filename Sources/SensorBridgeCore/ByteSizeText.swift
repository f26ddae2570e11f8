/// A size as a person writes it on a command line: `65536`, `512K`, `64M`, `2G` (powers of
/// 1024; a trailing `B` or `iB` is allowed). Refuses what is not one, and anything past 1 TiB.
public enum ByteSizeText {
    public static let maxBytes = 1 << 40

    /// The size in bytes, or nil when `text` is not one.
    public static func bytes(_ text: String) -> Int? {
        var number = Substring(text.uppercased())
        if number.hasSuffix("IB") { number = number.dropLast(2) } else if number.hasSuffix("B") { number = number.dropLast() }
        let units: [Character: Int] = ["K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40]
        var scale = 1
        if let last = number.last, let unit = units[last] {
            scale = unit
            number = number.dropLast()
        }
        guard !number.isEmpty, number.allSatisfy({ $0.isASCII && ($0.isNumber || $0 == ".") }),
              let value = Double(number), value.isFinite else { return nil }
        let bytes = value * Double(scale)
        return bytes <= Double(maxBytes) ? Int(bytes) : nil
    }
}
