/// Numbers as JSON text written straight into memory the caller has made room for
/// (`maxBytes` a number): a history answer prints 24 000 of them, and appending each to an
/// array (a capacity check, a uniqueness check and a copy a number) cost more than the digits.
/// `JSONText`'s array functions write through these, so both give the same text.
public enum NumberWriter {
    /// The most bytes one write below takes: a sign, 20 digits, a point and 3 decimals; a
    /// double's `description` is at most 24.
    public static let maxBytes = 32

    /// "00" "01" … "99": two digits a division.
    private static let pairs: StaticString = "00010203040506070809101112131415161718192021222324252627282930313233343536373839404142434445464748495051525354555657585960616263646566676869707172737475767778798081828384858687888990919293949596979899"

    @inline(__always) private static func digitCount(_ value: UInt64) -> Int {
        var count = 1
        var rest = value
        while rest >= 10_000 {
            rest /= 10_000
            count += 4
        }
        if rest >= 100 {
            rest /= 100
            count += 2
        }
        if rest >= 10 { count += 1 }
        return count
    }

    /// `value`'s decimal digits at `out`; returns the end.
    @inline(__always)
    public static func write(_ value: UInt64, to out: UnsafeMutablePointer<UInt8>) -> UnsafeMutablePointer<UInt8> {
        write(value, digits: digitCount(value), to: out)
    }

    /// `value` in exactly `digits` digits, zeros first (`value` < 10^digits), two at a time
    /// from the end; returns the end.
    @inline(__always)
    static func write(_ value: UInt64, digits: Int, to out: UnsafeMutablePointer<UInt8>) -> UnsafeMutablePointer<UInt8> {
        let end = out + digits
        var cursor = end
        var rest = value
        let table = pairs.utf8Start
        while cursor - out >= 2 {
            let pair = Int(rest % 100) * 2
            rest /= 100
            cursor -= 2
            cursor[0] = table[pair]
            cursor[1] = table[pair + 1]
        }
        if cursor > out { out[0] = UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: rest % 10) }
        return end
    }

    @inline(__always)
    public static func write(_ value: Int64, to out: UnsafeMutablePointer<UInt8>) -> UnsafeMutablePointer<UInt8> {
        guard value < 0 else { return write(value.magnitude, to: out) }
        out[0] = UInt8(ascii: "-")
        return write(value.magnitude, to: out + 1)
    }

    /// Milliseconds since the epoch with microsecond resolution: `1763765580123.456`.
    @inline(__always)
    public static func writeMilliseconds(fromMicros micros: Int64, to out: UnsafeMutablePointer<UInt8>) -> UnsafeMutablePointer<UInt8> {
        var cursor = out
        // The sign apart: -500 µs is "-0.500", which `micros / 1000` (0) would lose.
        if micros < 0 {
            cursor[0] = UInt8(ascii: "-")
            cursor += 1
        }
        cursor = write(micros.magnitude / 1000, to: cursor)
        cursor[0] = UInt8(ascii: ".")
        return write(micros.magnitude % 1000, digits: 3, to: cursor + 1)
    }

    /// A sensor value: integral values without a fraction (`512`, not `512.0`), others in
    /// Swift's shortest round-trip form (`-0.98`, `1e-05`), short decimals from integers
    /// (`ShortDecimal`), NaN and infinities as `null`; all valid JSON.
    @inline(__always)
    public static func write(_ value: Double, to out: UnsafeMutablePointer<UInt8>) -> UnsafeMutablePointer<UInt8> {
        if value.rounded(.towardZero) == value, abs(value) < 1e15 {
            return write(Int64(value), to: out)
        }
        if let end = ShortDecimal.write(value, to: out) { return end }
        return writeSlowly(value, to: out)
    }

    private static func writeSlowly(_ value: Double, to out: UnsafeMutablePointer<UInt8>) -> UnsafeMutablePointer<UInt8> {
        // Never produced by the parser; kept valid JSON anyway.
        var text = value.isFinite ? value.description : "null"
        return text.withUTF8 { utf8 in
            let count = min(utf8.count, maxBytes)
            out.update(from: utf8.baseAddress!, count: count)
            return out + count
        }
    }

    /// Runs `write` on a scratch buffer of `maxBytes` and appends what it wrote to `array`.
    @inline(__always)
    public static func append(to array: inout [UInt8], _ write: (UnsafeMutablePointer<UInt8>) -> UnsafeMutablePointer<UInt8>) {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: maxBytes) { scratch in
            let start = scratch.baseAddress!
            let end = write(start)
            array.append(contentsOf: UnsafeBufferPointer(start: start, count: end - start))
        }
    }
}
