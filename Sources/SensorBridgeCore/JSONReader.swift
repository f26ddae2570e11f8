/// Reads JSON that came from outside (a broker's message, a page's request) without building
/// a tree and without trusting it: the caller pulls exactly the fields it wants, strings and
/// containers are bounded, nesting is bounded (no stack to exhaust), and integers that matter
/// (sequence numbers) are read exactly or refused. Strict RFC 8259 grammar; UTF-8 checked.
/// Hand-written because a relay must reject a flood of hostile messages faster than they
/// come: Foundation's decoder costs tens of microseconds a message and a copy of it.
public struct JSONReader {
    public struct Failure: Error, Equatable, CustomStringConvertible {
        /// What went wrong; words only when asked for, since a flood of hostile messages
        /// makes failing the common case.
        public enum Problem: Equatable, Sendable {
            case text(StaticString)
            case tooManyElements(Int)
            case stringTooLong(Int)
            case tooDeep(Int)
            case outside(ClosedRange<Int>)

            public static func == (lhs: Problem, rhs: Problem) -> Bool { "\(lhs)" == "\(rhs)" }
        }

        /// Byte offset where reading stopped.
        public let offset: Int
        public let problem: Problem

        public var reason: String {
            switch problem {
            case .text(let text): "\(text)"
            case .tooManyElements(let limit): "more than \(limit) elements in an array"
            case .stringTooLong(let limit): "a string longer than \(limit) bytes"
            case .tooDeep(let limit): "nested deeper than \(limit)"
            case .outside(let range): "a number outside \(range.lowerBound)…\(range.upperBound)"
            }
        }

        public var description: String { "\(reason) at byte \(offset)" }
    }

    /// Containers nested deeper than this below a skipped field are refused (skipping is
    /// recursive; the fields a reader asks for add their own few levels).
    public static let maxDepth = 16

    private let bytes: [UInt8]
    private var index: Int
    private let end: Int

    public init(_ bytes: [UInt8]) {
        self.bytes = bytes
        self.index = 0
        self.end = bytes.count
    }

    // MARK: - Structure

    /// Reads an object, calling `field` with each key (its raw bytes when it has no escapes,
    /// else decoded); `field` must read or skip the value.
    public mutating func readObject(_ field: (inout JSONReader, [UInt8]) throws(Failure) -> Void) throws(Failure) {
        try expect(UInt8(ascii: "{"), "an object expected")
        skipSpace()
        if peek() == UInt8(ascii: "}") {
            index += 1
            return
        }
        while true {
            skipSpace()
            let key = try readStringBytes(maxBytes: 256)
            skipSpace()
            try expect(UInt8(ascii: ":"), "':' expected after a key")
            skipSpace()
            try field(&self, key)
            skipSpace()
            guard let byte = next() else { throw fail("the object is not closed") }
            if byte == UInt8(ascii: "}") { return }
            guard byte == UInt8(ascii: ",") else { throw fail("',' or '}' expected", back: 1) }
        }
    }

    /// Reads an array of at most `maxElements`, calling `element` for each; it must read or
    /// skip the element.
    public mutating func readArray(maxElements: Int, _ element: (inout JSONReader) throws(Failure) -> Void) throws(Failure) {
        try expect(UInt8(ascii: "["), "an array expected")
        skipSpace()
        if peek() == UInt8(ascii: "]") {
            index += 1
            return
        }
        var count = 0
        while true {
            count += 1
            guard count <= maxElements else { throw fail(.tooManyElements(maxElements)) }
            skipSpace()
            try element(&self)
            skipSpace()
            guard let byte = next() else { throw fail("the array is not closed") }
            if byte == UInt8(ascii: "]") { return }
            guard byte == UInt8(ascii: ",") else { throw fail("',' or ']' expected", back: 1) }
        }
    }

    /// Nothing but white space is left.
    public mutating func finish() throws(Failure) {
        skipSpace()
        guard index == end else { throw fail("more after the end of the value") }
    }

    // MARK: - Values

    /// True, and consumed, when the next value is `null`.
    public mutating func readNull() -> Bool {
        skipSpace()
        guard literal("null") else { return false }
        return true
    }

    /// A string of at most `maxBytes` (UTF-8, after unescaping).
    public mutating func readString(maxBytes: Int) throws(Failure) -> String {
        String(decoding: try readStringBytes(maxBytes: maxBytes), as: UTF8.self)
    }

    /// A string, or nil for `null`.
    public mutating func readOptionalString(maxBytes: Int) throws(Failure) -> String? {
        if readNull() { return nil }
        return try readString(maxBytes: maxBytes)
    }

    /// A number as a `Double`; refused when it is not finite (`1e999`).
    public mutating func readDouble() throws(Failure) -> Double {
        skipSpace()
        let start = index
        let shape = try scanNumber()
        if shape.isInteger, shape.digits <= 15 {
            // Exact, and without strtod: most values are small integers (ADC counts).
            var value: Int64 = 0
            for byte in bytes[(shape.negative ? start + 1 : start)..<index] {
                value = value * 10 + Int64(byte &- UInt8(ascii: "0"))
            }
            return shape.negative ? -Double(value) : Double(value)
        }
        let text = String(decoding: bytes[start..<index], as: UTF8.self)
        guard let value = Double(text), value.isFinite else { throw fail("a number out of range", at: start) }
        return value
    }

    /// A number, or nil for `null`.
    public mutating func readOptionalDouble() throws(Failure) -> Double? {
        if readNull() { return nil }
        return try readDouble()
    }

    /// A whole number 0…`UInt64.max`, exactly: no sign, fraction or exponent.
    public mutating func readUInt64() throws(Failure) -> UInt64 {
        skipSpace()
        let start = index
        let shape = try scanNumber()
        guard shape.isInteger, !shape.negative else { throw fail("a whole number of 0 or more expected", at: start) }
        var value: UInt64 = 0
        for byte in bytes[start..<index] {
            let (times10, overflow) = value.multipliedReportingOverflow(by: 10)
            let (sum, overflow2) = times10.addingReportingOverflow(UInt64(byte &- UInt8(ascii: "0")))
            guard !overflow, !overflow2 else { throw fail("a number larger than 18446744073709551615", at: start) }
            value = sum
        }
        return value
    }

    /// A whole number in `range`.
    public mutating func readInt(in range: ClosedRange<Int>) throws(Failure) -> Int {
        skipSpace()
        let start = index
        let value = try readUInt64()
        guard value <= UInt64(Int.max), range.contains(Int(value)) else {
            throw fail(.outside(range), at: start)
        }
        return Int(value)
    }

    /// Skips any value, refusing nesting beyond `maxDepth`.
    public mutating func skipValue() throws(Failure) {
        try skipValue(depth: 0)
    }

    private mutating func skipValue(depth: Int) throws(Failure) {
        skipSpace()
        guard let byte = peek() else { throw fail("a value expected") }
        switch byte {
        case UInt8(ascii: "{"), UInt8(ascii: "["):
            guard depth < Self.maxDepth else { throw fail(.tooDeep(Self.maxDepth)) }
            if byte == UInt8(ascii: "{") {
                try readObject { (reader, _) throws(Failure) in try reader.skipValue(depth: depth + 1) }
            } else {
                try readArray(maxElements: .max) { (reader) throws(Failure) in try reader.skipValue(depth: depth + 1) }
            }
        case UInt8(ascii: "\""):
            _ = try readStringBytes(maxBytes: .max)
        case UInt8(ascii: "t"):
            guard literal("true") else { throw fail("a value expected") }
        case UInt8(ascii: "f"):
            guard literal("false") else { throw fail("a value expected") }
        case UInt8(ascii: "n"):
            guard literal("null") else { throw fail("a value expected") }
        default:
            _ = try scanNumber()
        }
    }

    // MARK: - Pieces

    private struct NumberShape {
        var negative = false
        var isInteger = true
        var digits = 0
    }

    /// Moves past a number in JSON's grammar: `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`.
    private mutating func scanNumber() throws(Failure) -> NumberShape {
        let start = index
        var shape = NumberShape()
        if peek() == UInt8(ascii: "-") {
            shape.negative = true
            index += 1
        }
        guard let first = peek(), isDigit(first) else { throw fail("a value expected", at: start) }
        if first == UInt8(ascii: "0") {
            index += 1
            shape.digits = 1
            if let after = peek(), isDigit(after) { throw fail("a number with a leading zero", at: start) }
        } else {
            while let byte = peek(), isDigit(byte) {
                index += 1
                shape.digits += 1
            }
        }
        if peek() == UInt8(ascii: ".") {
            shape.isInteger = false
            index += 1
            guard try digits() > 0 else { throw fail("digits expected after '.'", at: start) }
        }
        if let byte = peek(), byte == UInt8(ascii: "e") || byte == UInt8(ascii: "E") {
            shape.isInteger = false
            index += 1
            if let sign = peek(), sign == UInt8(ascii: "+") || sign == UInt8(ascii: "-") { index += 1 }
            guard try digits() > 0 else { throw fail("digits expected in the exponent", at: start) }
        }
        return shape
    }

    private mutating func digits() throws(Failure) -> Int {
        var count = 0
        while let byte = peek(), isDigit(byte) {
            index += 1
            count += 1
        }
        return count
    }

    /// A string's bytes, unescaped and checked to be UTF-8.
    private mutating func readStringBytes(maxBytes: Int) throws(Failure) -> [UInt8] {
        skipSpace()
        let start = index
        try expect(UInt8(ascii: "\""), "a string expected")
        // The common case: no escapes, found in one scan and copied once.
        var scan = index
        while scan < end, bytes[scan] != UInt8(ascii: "\""), bytes[scan] != UInt8(ascii: "\\"), bytes[scan] >= 0x20 {
            scan += 1
        }
        if scan < end, bytes[scan] == UInt8(ascii: "\"") {
            guard scan - index <= maxBytes else { throw fail(.stringTooLong(maxBytes), at: start) }
            let raw = Array(bytes[index..<scan])
            guard raw.allSatisfy({ $0 < 0x80 }) || String(validating: raw, as: UTF8.self) != nil else {
                throw fail("a string that is not UTF-8", at: start)
            }
            index = scan + 1
            return raw
        }
        var out: [UInt8] = []
        while true {
            guard let byte = next() else { throw fail("the string is not closed", at: start) }
            switch byte {
            case UInt8(ascii: "\""):
                guard String(validating: out, as: UTF8.self) != nil else { throw fail("a string that is not UTF-8", at: start) }
                return out
            case UInt8(ascii: "\\"):
                guard let escaped = next() else { throw fail("the string is not closed", at: start) }
                switch escaped {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): out.append(escaped)
                case UInt8(ascii: "b"): out.append(0x08)
                case UInt8(ascii: "f"): out.append(0x0C)
                case UInt8(ascii: "n"): out.append(0x0A)
                case UInt8(ascii: "r"): out.append(0x0D)
                case UInt8(ascii: "t"): out.append(0x09)
                case UInt8(ascii: "u"): appendScalar(try unicodeEscape(), to: &out)
                default: throw fail("an unknown escape", back: 2)
                }
            case 0..<0x20:
                throw fail("a control character in a string", back: 1)
            default:
                out.append(byte)
            }
            guard out.count <= maxBytes else { throw fail(.stringTooLong(maxBytes), at: start) }
        }
    }

    /// `\uXXXX`, or a surrogate pair of two; a lone surrogate becomes U+FFFD.
    private mutating func unicodeEscape() throws(Failure) -> Unicode.Scalar {
        let high = try hex4()
        if (0xD800...0xDBFF).contains(high) {
            if index + 1 < end, bytes[index] == UInt8(ascii: "\\"), bytes[index + 1] == UInt8(ascii: "u") {
                let saved = index
                index += 2
                let low = try hex4()
                if (0xDC00...0xDFFF).contains(low) {
                    return Unicode.Scalar(0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00)) ?? "\u{FFFD}"
                }
                index = saved
            }
            return "\u{FFFD}"
        }
        return Unicode.Scalar(high) ?? "\u{FFFD}"
    }

    private mutating func hex4() throws(Failure) -> UInt32 {
        guard index + 4 <= end else { throw fail("a \\u escape cut short") }
        var value: UInt32 = 0
        for _ in 0..<4 {
            let byte = bytes[index]
            let digit: UInt8
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
            default: throw fail("a \\u escape with a non-hex digit")
            }
            value = value << 4 | UInt32(digit)
            index += 1
        }
        return value
    }

    private func appendScalar(_ scalar: Unicode.Scalar, to out: inout [UInt8]) {
        out.append(contentsOf: String(Character(scalar)).utf8)
    }

    private mutating func literal(_ word: StaticString) -> Bool {
        let count = word.utf8CodeUnitCount
        guard index + count <= end else { return false }
        let matches = word.withUTF8Buffer { expected in
            (0..<count).allSatisfy { bytes[index + $0] == expected[$0] }
        }
        if matches { index += count }
        return matches
    }

    private mutating func expect(_ byte: UInt8, _ what: StaticString) throws(Failure) {
        skipSpace()
        guard peek() == byte else { throw fail(what) }
        index += 1
    }

    private mutating func skipSpace() {
        while index < end {
            switch bytes[index] {
            case 0x20, 0x09, 0x0A, 0x0D: index += 1
            default: return
            }
        }
    }

    private func peek() -> UInt8? { index < end ? bytes[index] : nil }

    private mutating func next() -> UInt8? {
        guard index < end else { return nil }
        defer { index += 1 }
        return bytes[index]
    }

    private func isDigit(_ byte: UInt8) -> Bool { byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") }

    private func fail(_ reason: StaticString, at offset: Int? = nil, back: Int = 0) -> Failure {
        fail(.text(reason), at: offset, back: back)
    }

    private func fail(_ problem: Failure.Problem, at offset: Int? = nil, back: Int = 0) -> Failure {
        Failure(offset: offset ?? max(0, index - back), problem: problem)
    }
}

extension Array where Element == UInt8 {
    /// A key read by `JSONReader.readObject` is `name`.
    @inlinable
    public func isKey(_ name: StaticString) -> Bool {
        name.withUTF8Buffer { self.elementsEqual($0) }
    }
}
