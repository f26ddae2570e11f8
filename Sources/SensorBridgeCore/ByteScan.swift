/// Finding one byte in a block, eight bytes at a time: a replay looks for every line's end
/// (and every escape) in megabytes of recording, where a byte-by-byte `firstIndex` costs more
/// than reading the line itself.
enum ByteScan {
    /// The index of the first `byte` in `bytes`, as `bytes.firstIndex(of: byte)` gives it.
    static func firstIndex(of byte: UInt8, in bytes: ArraySlice<UInt8>) -> Int? {
        bytes.withUnsafeBufferPointer { buffer -> Int? in
            guard let offset = firstOffset(of: byte, in: UnsafeRawBufferPointer(buffer)) else { return nil }
            return bytes.startIndex + offset
        }
    }

    static func firstOffset(of byte: UInt8, in buffer: UnsafeRawBufferPointer) -> Int? {
        let count = buffer.count
        var offset = 0
        let ones: UInt64 = 0x0101_0101_0101_0101
        let pattern = ones &* UInt64(byte)
        while offset + 8 <= count {
            // A zero byte in word ^ pattern is a match; the lowest flagged byte is the first one.
            let word = UInt64(littleEndian: buffer.loadUnaligned(fromByteOffset: offset, as: UInt64.self)) ^ pattern
            let flags = (word &- ones) & ~word & (ones &* 0x80)
            if flags != 0 { return offset + flags.trailingZeroBitCount / 8 }
            offset += 8
        }
        while offset < count {
            if buffer[offset] == byte { return offset }
            offset += 1
        }
        return nil
    }
}
