#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// What every fuzz target shares: how an input is cut into a few control bytes and a body
/// fed in pieces, and how an invariant fails (a crash libFuzzer records).
public enum Fuzz {
    /// Fails the run (a crash, saved by libFuzzer as its reproducer) when an invariant does not hold.
    public static func check(
        _ condition: @autoclosure () -> Bool, _ message: @autoclosure () -> String,
        file: StaticString = #fileID, line: UInt = #line
    ) {
        if !condition() { fatalError("invariant broken: \(message())", file: file, line: line) }
    }

    /// `bytes` cut at positions given as fractions of its length (each byte n is n/255 of
    /// the way), in order: two control bytes make three pieces, some of them maybe empty.
    public static func pieces(_ bytes: ArraySlice<UInt8>, at fractions: [UInt8]) -> [ArraySlice<UInt8>] {
        let cuts = fractions.map { bytes.startIndex + Int($0) * bytes.count / 255 }.sorted()
        var pieces: [ArraySlice<UInt8>] = []
        var from = bytes.startIndex
        for cut in cuts {
            pieces.append(bytes[from..<cut])
            from = cut
        }
        pieces.append(bytes[from...])
        return pieces
    }

    /// Bytes as a C-like escaped string, for messages.
    public static func escaped<Bytes: Sequence>(_ bytes: Bytes, limit: Int = 200) -> String where Bytes.Element == UInt8 {
        var text = ""
        for (index, byte) in bytes.enumerated() {
            if index == limit {
                text += "…"
                break
            }
            switch byte {
            case 0x5C: text += "\\\\"
            case 0x0A: text += "\\n"
            case 0x0D: text += "\\r"
            case 0x20..<0x7F: text.unicodeScalars.append(UnicodeScalar(byte))
            default:
                let hex = Array("0123456789abcdef")
                text += "\\x" + String(hex[Int(byte >> 4)]) + String(hex[Int(byte & 0xF)])
            }
        }
        return text
    }
}

/// One input: `headerCount` control bytes (zero when the input is shorter), then the body.
public struct FuzzInput {
    public let header: [UInt8]
    public let body: ArraySlice<UInt8>

    public init(_ start: UnsafeRawPointer, _ count: Int, headerCount: Int) {
        let all = Array(UnsafeRawBufferPointer(start: start, count: count))
        let taken = min(headerCount, all.count)
        header = Array(all[..<taken]) + Array(repeating: 0, count: headerCount - taken)
        body = all[taken...]
    }

    /// A little-endian integer from header bytes `range`.
    public func integer(_ range: Range<Int>) -> UInt64 {
        var value: UInt64 = 0
        for index in range.reversed() { value = value << 8 | UInt64(header[index]) }
        return value
    }
}

/// Comparing doubles as the stream does: NaN (a series a line did not carry) equals NaN.
public func sameValues(_ a: [Double], _ b: [Double]) -> Bool {
    a.count == b.count && zip(a, b).allSatisfy { $0 == $1 || ($0.isNaN && $1.isNaN) }
}
