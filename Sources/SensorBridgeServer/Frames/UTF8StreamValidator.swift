/// Checks UTF-8 a piece at a time, so a text message split into fragments can be failed at
/// the first fragment that makes it invalid (RFC 6455 §8.1), not only once it is whole. The
/// standard library validates whole buffers only, so it checks the bulk of each piece here;
/// this type keeps the state of a sequence that a piece boundary cut in two. The rules are
/// RFC 3629's table: no overlong forms, no surrogates, nothing above U+10FFFF.
struct UTF8StreamValidator {
    /// Continuation bytes still due for the current scalar.
    private var pending = 0
    /// The range the next continuation byte must be in (narrower after E0, ED, F0, F4).
    private var low: UInt8 = 0x80
    private var high: UInt8 = 0xBF

    /// Feeds more bytes; false as soon as they cannot be UTF-8, whatever follows.
    mutating func feed<Bytes: Collection>(_ bytes: Bytes) -> Bool where Bytes.Element == UInt8 {
        if let result = bytes.withContiguousStorageIfAvailable({ feed(contiguous: $0) }) { return result }
        return Array(bytes).withUnsafeBufferPointer { feed(contiguous: $0) }
    }

    /// True when the bytes fed so far end on a whole scalar (the message may end here).
    var isComplete: Bool { pending == 0 }

    private mutating func feed(contiguous bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        // 1. Finish a scalar the previous piece began.
        var start = 0
        while pending > 0, start < bytes.count {
            guard step(bytes[start]) else { return false }
            start += 1
        }
        guard start < bytes.count else { return true }
        // 2. The whole scalars: validated by the standard library, all at once.
        let end = Self.endOfWholeScalars(bytes, from: start)
        if end > start, String(validating: UnsafeBufferPointer(rebasing: bytes[start..<end]), as: UTF8.self) == nil {
            return false
        }
        // 3. A scalar cut off at the end: it must at least begin as UTF-8 can.
        for byte in bytes[end...] {
            guard step(byte) else { return false }
        }
        return true
    }

    /// Where the last scalar that is not complete in `bytes` begins (or the end).
    private static func endOfWholeScalars(_ bytes: UnsafeBufferPointer<UInt8>, from start: Int) -> Int {
        var lead = bytes.count - 1
        while lead > start, lead > bytes.count - 4, bytes[lead] & 0xC0 == 0x80 { lead -= 1 }
        let byte = bytes[lead]
        let length = byte < 0xC0 ? 1 : byte < 0xE0 ? 2 : byte < 0xF0 ? 3 : 4
        return lead + length > bytes.count ? lead : bytes.count
    }

    /// One byte through RFC 3629's table.
    private mutating func step(_ byte: UInt8) -> Bool {
        if pending > 0 {
            guard byte >= low && byte <= high else { return false }
            pending -= 1
            (low, high) = (0x80, 0xBF)
            return true
        }
        switch byte {
        case 0x00...0x7F: return true
        case 0xC2...0xDF: pending = 1
        case 0xE0: (pending, low) = (2, 0xA0)
        case 0xE1...0xEC, 0xEE...0xEF: pending = 2
        case 0xED: (pending, high) = (2, 0x9F)
        case 0xF0: (pending, low) = (3, 0x90)
        case 0xF1...0xF3: pending = 3
        case 0xF4: (pending, high) = (3, 0x8F)
        default: return false
        }
        return true
    }
}
