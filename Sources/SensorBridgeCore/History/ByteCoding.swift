/// The byte-level pieces the history store's blocks and summaries are made of: varints,
/// zigzag, fixed 8-byte doubles and bit-packed groups. A reader never traps on a torn or
/// hostile blob: it throws `StoreDataError`.
public struct StoreDataError: Error, Equatable, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

@inline(__always) public func zigzag(_ value: Int64) -> UInt64 {
    UInt64(bitPattern: (value << 1) ^ (value >> 63))
}

@inline(__always) public func unzigzag(_ value: UInt64) -> Int64 {
    Int64(bitPattern: value >> 1) ^ (0 &- Int64(bitPattern: value & 1))
}

/// Appends to a byte array.
public struct ByteWriter {
    public var bytes: [UInt8] = []

    public init(capacity: Int = 0) { bytes.reserveCapacity(capacity) }

    @inline(__always) public mutating func byte(_ value: UInt8) { bytes.append(value) }

    @inline(__always) public mutating func varint(_ value: UInt64) {
        var v = value
        while v >= 0x80 {
            bytes.append(UInt8(truncatingIfNeeded: v) | 0x80)
            v >>= 7
        }
        bytes.append(UInt8(v))
    }

    public mutating func signed(_ value: Int64) { varint(zigzag(value)) }

    /// Eight bytes, least significant first.
    @inline(__always) public mutating func word(_ value: UInt64) { appendWord(value, bytes: 8) }

    public mutating func double(_ value: Double) {
        var bits = value.bitPattern.littleEndian
        withUnsafeBytes(of: &bits) { bytes.append(contentsOf: $0) }
    }

    /// `values` (at most 128) packed at the width of the widest: one width byte, then the
    /// bits, least significant first. Groups keep an outlier from widening a whole block.
    public mutating func packedGroup(_ values: UnsafeBufferPointer<UInt64>) {
        var all: UInt64 = 0
        for v in values { all |= v }
        let width = 64 - all.leadingZeroBitCount
        bytes.append(UInt8(width))
        guard width > 0 else { return }
        var accumulator: UInt64 = 0
        var filled = 0
        for v in values {
            accumulator |= v << UInt64(filled)
            let room = 64 - filled
            if width >= room {
                appendWord(accumulator, bytes: 8)
                accumulator = room == 64 ? 0 : v >> UInt64(room)
                filled = width - room
            } else {
                filled += width
            }
        }
        if filled > 0 { appendWord(accumulator, bytes: (filled + 7) / 8) }
    }

    /// Every value of `values`, in groups of `groupSize`.
    public mutating func packed(_ values: [UInt64]) {
        values.withUnsafeBufferPointer { all in
            var start = 0
            while start < all.count {
                let end = min(all.count, start + ByteWriter.groupSize)
                packedGroup(UnsafeBufferPointer(rebasing: all[start..<end]))
                start = end
            }
        }
    }

    public static let groupSize = 128

    @inline(__always) private mutating func appendWord(_ word: UInt64, bytes count: Int) {
        var w = word
        for _ in 0..<count {
            bytes.append(UInt8(truncatingIfNeeded: w))
            w >>= 8
        }
    }
}

/// A varint (7 bits a byte, low first) from the bytes `next` hands out: one rule for the
/// readers of arrays and of SQLite's own buffers.
@inline(__always) func readVarint(_ next: () throws -> UInt8) throws -> UInt64 {
    var result: UInt64 = 0
    var shift: UInt64 = 0
    while true {
        let b = try next()
        guard shift < 64 else { throw StoreDataError("a number is too long") }
        result |= UInt64(b & 0x7f) << shift
        if b < 0x80 { return result }
        shift += 7
    }
}

/// Reads what `ByteWriter` wrote, checking every length against what is there.
public struct ByteReader {
    let bytes: [UInt8]
    public internal(set) var offset: Int

    public init(_ bytes: [UInt8], offset: Int = 0) {
        self.bytes = bytes
        self.offset = offset
    }

    public var isAtEnd: Bool { offset >= bytes.count }

    public mutating func byte() throws -> UInt8 {
        guard offset < bytes.count else { throw StoreDataError("the data ends early") }
        defer { offset += 1 }
        return bytes[offset]
    }

    public mutating func varint() throws -> UInt64 { try readVarint { try byte() } }

    public mutating func signed() throws -> Int64 { unzigzag(try varint()) }

    /// A count that must fit what is left (each counted thing takes at least `atLeastBits`).
    public mutating func count(max: Int) throws -> Int {
        let value = try varint()
        guard value <= UInt64(max) else { throw StoreDataError("a count of \(value) is more than \(max)") }
        return Int(value)
    }

    public mutating func double() throws -> Double {
        guard bytes.count - offset >= 8 else { throw StoreDataError("the data ends early") }
        var bits: UInt64 = 0
        for i in 0..<8 { bits |= UInt64(bytes[offset + i]) << UInt64(8 * i) }
        offset += 8
        return Double(bitPattern: bits)
    }

    /// `count` values packed by `ByteWriter.packed`, written to `out[0..<count]`. A query
    /// decodes a million of them a second: one unaligned load a value wherever eight bytes
    /// are there to load, byte by byte only at the very end of the data.
    public mutating func unpack(count: Int, into out: UnsafeMutablePointer<UInt64>) throws {
        var at = offset
        defer { offset = at }
        try bytes.withUnsafeBufferPointer { all in
            let end = all.count
            var written = 0
            while written < count {
                let n = min(count - written, ByteWriter.groupSize)
                guard at < end else { throw StoreDataError("the data ends early") }
                let width = Int(all[at])
                at += 1
                guard width <= 64 else { throw StoreDataError("a bit width of \(width)") }
                guard width > 0 else {
                    (out + written).update(repeating: 0, count: n)
                    written += n
                    continue
                }
                let need = (n * width + 7) / 8
                guard end - at >= need else { throw StoreDataError("the data ends early") }
                ByteReader.unpackBits(all.baseAddress! + at, room: end - at, width: width, count: n, into: out + written)
                at += need
                written += n
            }
        }
    }

    /// `n` values of `width` (1…64) bits packed least significant first from `base`, whose
    /// `(n × width + 7) / 8` bytes the caller has checked are there; `room` bytes are
    /// readable from `base` (it may run past them). One unchecked eight-byte load a value
    /// wherever eight bytes are there to load (a value of at most 56 bits lies within the
    /// eight bytes from its first), byte by byte only at the very end of the data.
    @inline(__always)
    static func unpackBits(_ base: UnsafePointer<UInt8>, room: Int, width: Int, count n: Int, into out: UnsafeMutablePointer<UInt64>) {
        let need = (n * width + 7) / 8
        let mask: UInt64 = width == 64 ? .max : (1 << UInt64(width)) - 1
        var bit = 0
        var i = 0
        if width <= 56, room >= 8 {
            // Every value k whose load stays in the data: its first byte, k × width / 8, at
            // most room − 8.
            let fits = min(n, ((room - 8) * 8 + 7) / width + 1)
            while i < fits {
                let word = UInt64(littleEndian: UnsafeRawPointer(base + bit &>> 3).loadUnaligned(as: UInt64.self))
                out[i] = (word &>> UInt64(bit & 7)) & mask
                bit += width
                i += 1
            }
        }
        while i < n {
            let byteIndex = bit >> 3
            let shift = bit & 7
            // Up to 9 bytes may hold one value (64 bits at an odd offset).
            var word: UInt64 = 0
            for k in 0..<min(8, need - byteIndex) { word |= UInt64(base[byteIndex + k]) << UInt64(8 * k) }
            var value = word >> UInt64(shift)
            if shift + width > 64, byteIndex + 8 < need {
                value |= UInt64(base[byteIndex + 8]) << UInt64(64 - shift)
            }
            out[i] = value & mask
            bit += width
            i += 1
        }
    }
}
