/// The fast path for the line nearly every sketch prints: plain numbers separated by commas,
/// semicolons, spaces or tabs (`512,498,620`, `23.5 -1.25`). Read byte by byte with no
/// allocation but the values, it gives exactly what `LineParser`'s general path
/// (`fields` + `NumberSyntax`) reads, or nil for anything it is not sure of, which then
/// takes the general path: so it only has to be right, never complete.
enum PlainNumbers {
    /// 10^k for k in 0...15, all exact in a Double.
    private static let powersOfTen: [Double] = (0...15).map { k in (0..<k).reduce(1.0) { a, _ in a * 10 } }

    /// The `count` values of `line`, or nil when it is not exactly `count` plain numbers.
    /// Accepted: `[+-]?digits` and `[+-]?digits.digits` with at most 15 digits in all (an
    /// integer below 2^53 over an exact power of ten: one correctly rounded division, the
    /// same Double `strtod` gives). Everything else (exponents, `.5`, `5.`, long numbers,
    /// labels, `|`, two hard separators in a row, a leading one) is left to the general path.
    static func parse(_ line: UnsafeBufferPointer<UInt8>, count: Int) -> [Double]? {
        guard count > 0, count <= LineParser.maxChannels else { return nil }
        // Read onto the stack, then made an array of exactly the values: one allocation, and
        // none for a line that is not plain.
        return withUnsafeTemporaryAllocation(of: Double.self, capacity: count) { values in
            guard let read = read(line, into: values), read == count else { return nil }
            return Array(values)
        }
    }

    /// How many values `line` held, written to `values`; nil when it is not plain numbers or
    /// holds more than `values` has room for.
    private static func read(_ line: UnsafeBufferPointer<UInt8>, into values: UnsafeMutableBufferPointer<Double>) -> Int? {
        var read = 0
        let end = line.count
        var index = 0
        var tokenSinceHardSeparator = false
        while index < end {
            let byte = line[index]
            if byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") {
                index += 1
                continue
            }
            if byte == UInt8(ascii: ",") || byte == UInt8(ascii: ";") {
                guard tokenSinceHardSeparator else { return nil }
                tokenSinceHardSeparator = false
                index += 1
                continue
            }
            var negative = false
            if byte == UInt8(ascii: "-") || byte == UInt8(ascii: "+") {
                negative = byte == UInt8(ascii: "-")
                index += 1
            }
            var mantissa: UInt64 = 0
            var digits = 0
            while index < end, line[index] &- UInt8(ascii: "0") < 10 {
                guard digits < 15 else { return nil }
                mantissa = mantissa &* 10 &+ UInt64(line[index] &- UInt8(ascii: "0"))
                digits += 1
                index += 1
            }
            guard digits > 0 else { return nil }
            var decimals = 0
            if index < end, line[index] == UInt8(ascii: ".") {
                index += 1
                while index < end, line[index] &- UInt8(ascii: "0") < 10 {
                    guard digits < 15 else { return nil }
                    mantissa = mantissa &* 10 &+ UInt64(line[index] &- UInt8(ascii: "0"))
                    digits += 1
                    decimals += 1
                    index += 1
                }
                guard decimals > 0 else { return nil }
            }
            if index < end {
                let next = line[index]
                guard next == UInt8(ascii: " ") || next == UInt8(ascii: "\t") || next == UInt8(ascii: ",")
                    || next == UInt8(ascii: ";")
                else { return nil }
            }
            guard read < values.count else { return nil }
            let magnitude = decimals == 0 ? Double(mantissa) : Double(mantissa) / powersOfTen[decimals]
            values.initializeElement(at: read, to: negative ? -magnitude : magnitude)
            read += 1
            tokenSinceHardSeparator = true
        }
        return read
    }
}
