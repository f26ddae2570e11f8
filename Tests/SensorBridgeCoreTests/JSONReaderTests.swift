import Testing
@testable import SensorBridgeCore

private func reader(_ text: String) -> JSONReader { JSONReader(Array(text.utf8)) }

/// Why reading failed, or nil when it did not.
private func failure(_ body: () throws -> Void) -> String? {
    do {
        try body()
        return nil
    } catch {
        return "\(error)"
    }
}

struct JSONReaderTests {
    @Test func readsTheFieldsAskedForAndSkipsTheRest() throws {
        var json = reader(#" { "skip": {"a": [1, 2.5e3, true, false, null, "x\"y"]}, "n": 18446744073709551615, "s": "é\u00e9\n", "d": -0.5 } "#)
        var n: UInt64?, s: String?, d: Double?
        try json.readObject { (reader, key) throws(JSONReader.Failure) in
            if key.isKey("n") { n = try reader.readUInt64() }
            else if key.isKey("s") { s = try reader.readString(maxBytes: 64) }
            else if key.isKey("d") { d = try reader.readDouble() }
            else { try reader.skipValue() }
        }
        try json.finish()
        #expect(n == .max && s == "éé\n" && d == -0.5)
    }

    @Test(arguments: [
        ("18446744073709551616", "larger than"),
        ("-1", "a whole number of 0 or more"),
        ("1.0", "a whole number of 0 or more"),
        ("1e2", "a whole number of 0 or more"),
        ("01", "leading zero"),
        ("", "a value expected"),
        ("+1", "a value expected"),
    ])
    func wholeNumbersAreExactOrRefused(text: String, reason: String) {
        var json = reader(text)
        let why = failure { _ = try json.readUInt64() }
        #expect(why?.contains(reason) == true)
    }

    @Test(arguments: ["1e999", "-1e999", "1.", ".5", "1e", "-", "NaN", "Infinity", "0x10"])
    func numbersOutsideJSONOrOutOfRangeAreRefused(text: String) {
        var json = reader(text)
        let why = failure {
            _ = try json.readDouble()
            try json.finish()
        }
        #expect(why != nil)
    }

    @Test func numbersReadLikeFoundationDoes() throws {
        for text in ["0", "-0", "512", "123456789012345", "1234567890123456789", "0.1", "-1.5e-3", "1E+2", "1763765580123.456"] {
            var json = reader(text)
            #expect(try json.readDouble() == Double(text)!, "\(text)")
        }
    }

    @Test func stringsAreBoundedUnescapedAndChecked() throws {
        var long = reader(#""abcdef""#)
        let tooLong = failure { _ = try long.readString(maxBytes: 5) }
        #expect(tooLong?.contains("longer than 5 bytes") == true)
        var escapedLong = reader(#""ab\ncdef""#)
        let escapedTooLong = failure { _ = try escapedLong.readString(maxBytes: 5) }
        #expect(escapedTooLong != nil)
        var pair = reader(#""\ud83d\ude00 \ud800x""#)
        #expect(try pair.readString(maxBytes: 64) == "😀 \u{FFFD}x", "a lone surrogate becomes U+FFFD")
        var control = reader("\"a\u{01}b\"")
        let controlCharacter = failure { _ = try control.readString(maxBytes: 64) }
        #expect(controlCharacter != nil)
        var notUTF8 = JSONReader([0x22, 0xFF, 0xFE, 0x22])
        let invalid = failure { _ = try notUTF8.readString(maxBytes: 64) }
        #expect(invalid?.contains("not UTF-8") == true)
        var badEscape = reader(#""\q""#)
        let unknownEscape = failure { _ = try badEscape.readString(maxBytes: 64) }
        #expect(unknownEscape != nil)
    }

    @Test func nestingAndArraysAreBounded() throws {
        let deep = String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)
        var json = reader(deep)
        let tooDeep = failure { try json.skipValue() }
        #expect(tooDeep?.contains("nested deeper than") == true)
        var array = reader("[1,2,3,4]")
        let tooMany = failure { try array.readArray(maxElements: 3) { (reader) throws(JSONReader.Failure) in _ = try reader.readDouble() } }
        #expect(tooMany?.contains("more than 3 elements") == true)
    }
    @Test(arguments: ["{", "{\"a\"}", "{\"a\":1,}", "{\"a\":1 \"b\":2}", "[1,]", "[1 2]", "{1:2}", "nul", "tru", "\"abc"])
    func malformedDocumentsAreRefusedNeverTrapped(text: String) {
        var json = reader(text)
        let why = failure {
            try json.skipValue()
            try json.finish()
        }
        #expect(why != nil)
    }
}
