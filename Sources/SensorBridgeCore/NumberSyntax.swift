/// Strict decimal number syntax for sensor values: `512`, `-0.98`, `+3`, `.5`, `1.5e2`.
/// `Double(String)` alone would also take `inf`, `nan` and hex floats, which a sensor never
/// means, so the syntax is checked first.
enum NumberSyntax {
    static func parse<Bytes: Collection>(_ bytes: Bytes) -> Double? where Bytes.Element == UInt8 {
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

    static func isDigit(_ byte: UInt8) -> Bool { byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") }
}
