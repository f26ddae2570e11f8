/// A URL's query as names and values, percent-decoded (`+` is a space), for the history
/// endpoints. A repeated name keeps its first value; bounded: at most 32 parameters of at
/// most 2 KiB each are read.
enum QueryParameters {
    static func parse(uri: String) -> [String: String] {
        guard let query = uri.split(separator: "?", maxSplits: 1).dropFirst().first else { return [:] }
        var result: [String: String] = [:]
        for pair in query.split(separator: "&").prefix(32) {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard let name = decode(parts[0]), result[name] == nil else { continue }
            result[name] = parts.count == 2 ? decode(parts[1]) ?? "" : ""
        }
        return result
    }

    static func decode(_ text: Substring) -> String? {
        guard text.utf8.count <= 2048 else { return nil }
        var bytes: [UInt8] = []
        var i = text.utf8.startIndex
        let utf8 = text.utf8
        while i < utf8.endIndex {
            let byte = utf8[i]
            if byte == UInt8(ascii: "%") {
                let a = utf8.index(after: i)
                guard a < utf8.endIndex, utf8.index(after: a) < utf8.endIndex,
                      let high = hex(utf8[a]), let low = hex(utf8[utf8.index(after: a)]) else { return nil }
                bytes.append(high << 4 | low)
                i = utf8.index(a, offsetBy: 2)
                continue
            }
            bytes.append(byte == UInt8(ascii: "+") ? UInt8(ascii: " ") : byte)
            i = utf8.index(after: i)
        }
        return String(validating: bytes, as: UTF8.self)
    }

    private static func hex(_ c: UInt8) -> UInt8? {
        switch c {
        case 0x30...0x39: c - 0x30
        case 0x41...0x46: c - 0x41 + 10
        case 0x61...0x66: c - 0x61 + 10
        default: nil
        }
    }
}
