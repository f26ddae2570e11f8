/// Appends JSON tokens to a byte buffer. Hand-written because the stream encodes every
/// sample on the hot path, where Foundation's `JSONEncoder` costs far more than the numbers.
public enum JSONText {
    /// A sensor value: integral values print without a fraction (`512`, not `512.0`),
    /// others in Swift's shortest round-trip form (`-0.98`, `1e-05`), both valid JSON
    /// (`NumberWriter`).
    public static func appendNumber(_ value: Double, to out: inout [UInt8]) {
        NumberWriter.append(to: &out) { NumberWriter.write(value, to: $0) }
    }

    /// Digits straight into `out`: no string per number on the hot path.
    public static func appendInteger(_ value: Int64, to out: inout [UInt8]) {
        NumberWriter.append(to: &out) { NumberWriter.write(value, to: $0) }
    }

    /// Sequence numbers and counters: every `UInt64` as it is (converting to `Int64` would
    /// trap past `Int64.max`, a number a peer can send).
    public static func appendInteger(_ value: UInt64, to out: inout [UInt8]) {
        NumberWriter.append(to: &out) { NumberWriter.write(value, to: $0) }
    }

    /// Milliseconds since the epoch with microsecond resolution: `1763765580123.456`.
    public static func appendMilliseconds(fromMicros micros: Int64, to out: inout [UInt8]) {
        NumberWriter.append(to: &out) { NumberWriter.writeMilliseconds(fromMicros: micros, to: $0) }
    }

    public static func appendString(_ string: String, to out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        for byte in string.utf8 {
            switch byte {
            case UInt8(ascii: "\""): out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\"")])
            case UInt8(ascii: "\\"): out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\\")])
            case 0x0A: out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "n")])
            case 0x0D: out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "r")])
            case 0x09: out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "t")])
            case 0..<0x20:
                let hex = Array("0123456789abcdef".utf8)
                out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0"),
                                        hex[Int(byte >> 4)], hex[Int(byte & 0xF)]])
            default: out.append(byte)
            }
        }
        out.append(UInt8(ascii: "\""))
    }

    public static func appendStringArray(_ strings: [String], to out: inout [UInt8]) {
        out.append(UInt8(ascii: "["))
        for (index, string) in strings.enumerated() {
            if index > 0 { out.append(UInt8(ascii: ",")) }
            appendString(string, to: &out)
        }
        out.append(UInt8(ascii: "]"))
    }
}
