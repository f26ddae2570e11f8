/// Appends JSON tokens to a byte buffer. Hand-written because the stream encodes every
/// sample on the hot path, where Foundation's `JSONEncoder` costs far more than the numbers.
public enum JSONText {
    /// A sensor value: integral values print without a fraction (`512`, not `512.0`),
    /// others in Swift's shortest round-trip form (`-0.98`, `1e-05`), both valid JSON; short
    /// decimals by `ShortDecimal`, the same text for less.
    public static func appendNumber(_ value: Double, to out: inout [UInt8]) {
        if value.rounded(.towardZero) == value, abs(value) < 1e15 {
            appendInteger(Int64(value), to: &out)
        } else if value.isFinite {
            if !ShortDecimal.append(value, to: &out) { out.append(contentsOf: value.description.utf8) }
        } else {
            out.append(contentsOf: "null".utf8)  // never produced by the parser; kept valid JSON anyway
        }
    }

    /// Digits straight into `out`: no string per number on the hot path.
    public static func appendInteger(_ value: Int64, to out: inout [UInt8]) {
        if value < 0 { out.append(UInt8(ascii: "-")) }
        appendInteger(value.magnitude, to: &out)
    }

    /// Sequence numbers and counters: every `UInt64` as it is (converting to `Int64` would
    /// trap past `Int64.max`, a number a peer can send).
    public static func appendInteger(_ value: UInt64, to out: inout [UInt8]) {
        var magnitude = value
        // Written backwards into 20 bytes on the stack (UInt64's most digits), then appended.
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 20) { digits in
            var start = 20
            repeat {
                start -= 1
                digits[start] = UInt8(ascii: "0") + UInt8(magnitude % 10)
                magnitude /= 10
            } while magnitude > 0
            out.append(contentsOf: UnsafeBufferPointer(rebasing: digits[start...]))
        }
    }

    /// Milliseconds since the epoch with microsecond resolution: `1763765580123.456`.
    public static func appendMilliseconds(fromMicros micros: Int64, to out: inout [UInt8]) {
        // The sign apart: -500 µs is "-0.500", which `micros / 1000` (0) would lose.
        if micros < 0 { out.append(UInt8(ascii: "-")) }
        let whole = micros.magnitude / 1000
        let fraction = micros.magnitude % 1000
        appendInteger(whole, to: &out)
        out.append(UInt8(ascii: "."))
        out.append(UInt8(ascii: "0") + UInt8(fraction / 100))
        out.append(UInt8(ascii: "0") + UInt8(fraction / 10 % 10))
        out.append(UInt8(ascii: "0") + UInt8(fraction % 10))
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
