/// Strict decimal number syntax for sensor values: `512`, `-0.98`, `+3`, `.5`, `1.5e2`.
/// `Double(String)` alone would also take `inf`, `nan` and hex floats, which a sensor never
/// means, so the syntax is checked first.
enum NumberSyntax {
    static func parse<Bytes: Collection>(_ bytes: Bytes) -> Double? where Bytes.Element == UInt8 {
        if let integer = smallInteger(bytes) { return integer }
        guard isDecimal(bytes) else { return nil }
        let text = String(decoding: bytes, as: UTF8.self)
        guard let value = Double(text), value.isFinite else { return nil }
        return value
    }

    static func isDecimal<Bytes: Collection>(_ bytes: Bytes) -> Bool where Bytes.Element == UInt8 {
        var index = bytes.startIndex
        func peek() -> UInt8? { index < bytes.endIndex ? bytes[index] : nil }
        func advance() { index = bytes.index(after: index) }
        func digits() -> Int {
            var count = 0
            while let byte = peek(), isDigit(byte) { advance(); count += 1 }
            return count
        }
        if let sign = peek(), sign == UInt8(ascii: "+") || sign == UInt8(ascii: "-") { advance() }
        var mantissaDigits = digits()
        if peek() == UInt8(ascii: ".") {
            advance()
            mantissaDigits += digits()
        }
        guard mantissaDigits > 0 else { return false }
        if let e = peek(), e == UInt8(ascii: "e") || e == UInt8(ascii: "E") {
            advance()
            if let sign = peek(), sign == UInt8(ascii: "+") || sign == UInt8(ascii: "-") { advance() }
            guard digits() > 0 else { return false }
        }
        return index == bytes.endIndex
    }

    /// Most sensor values are small integers (ADC counts): read exactly, without the string
    /// and `strtod` a general number costs. Nil for anything else (then parsed in full).
    private static func smallInteger<Bytes: Collection>(_ bytes: Bytes) -> Double? where Bytes.Element == UInt8 {
        var index = bytes.startIndex
        var negative = false
        if index < bytes.endIndex, bytes[index] == UInt8(ascii: "-") || bytes[index] == UInt8(ascii: "+") {
            negative = bytes[index] == UInt8(ascii: "-")
            index = bytes.index(after: index)
        }
        var value: Int64 = 0
        var digits = 0
        while index < bytes.endIndex {
            let byte = bytes[index]
            guard isDigit(byte), digits < 15 else { return nil }  // 15 digits: exact in a Double
            value = value * 10 + Int64(byte - UInt8(ascii: "0"))
            digits += 1
            index = bytes.index(after: index)
        }
        guard digits > 0 else { return nil }
        return negative ? -Double(value) : Double(value)
    }

    static func isDigit(_ byte: UInt8) -> Bool { byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") }
}
