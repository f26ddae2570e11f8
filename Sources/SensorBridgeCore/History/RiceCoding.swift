/// Golomb–Rice coding of small unsigned numbers (zigzagged prediction residuals), in groups
/// of 128 with a parameter each: a value `u` is `u >> k` as zero bits closed by a one bit,
/// then its low `k` bits. Where the noise of a sensor is roughly Gaussian this spends about a
/// bit less a value than packing at the group's widest, which is what brings the store under
/// a byte a value. A quotient of `escapeQuotient` or more is written as the escape and the
/// whole value in 64 bits, so no value and no hostile blob makes a run of unbounded length.
public enum RiceCoding {
    public static let groupSize = 128
    static let escapeQuotient: UInt64 = 24
    /// In a group's parameter byte: the group is all zeros (a flat signal), no bits follow.
    static let zeroGroup: UInt8 = 0xFF

    /// Bits `values` cost at parameter `k` (escapes included).
    @inline(__always) static func cost(_ values: UnsafeBufferPointer<UInt64>, k: Int) -> Int {
        var bits = 0
        for v in values {
            let q = v >> UInt64(k)
            bits += q < escapeQuotient ? Int(q) + 1 + k : Int(escapeQuotient) + 1 + 64
        }
        return bits
    }

    /// The cheapest parameter for a group: near log2 of its mean, then its neighbours.
    static func parameter(_ values: UnsafeBufferPointer<UInt64>) -> Int {
        var sum: UInt64 = 0
        for v in values { sum = sum &+ min(v, 1 << 48) }
        let mean = sum / UInt64(max(1, values.count))
        var best = min(56, 63 - (mean | 1).leadingZeroBitCount)
        var bestCost = cost(values, k: best)
        for k in [best - 2, best - 1, best + 1, best + 2] where k >= 0 && k <= 56 {
            let c = cost(values, k: k)
            if c < bestCost { best = k; bestCost = c }
        }
        return best
    }

    /// Up to 57 bits of `base` from `bit` on (zeros past `length` bytes).
    @inline(__always) static func bits(_ base: UnsafeRawPointer, length: Int, at bit: Int) -> UInt64 {
        let byte = bit >> 3
        var w: UInt64 = 0
        if length - byte >= 8 {
            w = UInt64(littleEndian: (base + byte).loadUnaligned(as: UInt64.self))
        } else if byte < length {
            for i in 0..<(length - byte) { w |= UInt64(base.load(fromByteOffset: byte + i, as: UInt8.self)) << UInt64(8 * i) }
        }
        return w >> UInt64(bit & 7)
    }

    /// One value read with every check: near the end of the data, a long quotient, the
    /// escape.
    static func slowValue(_ base: UnsafeRawPointer, length: Int, bit: inout Int, k: Int) throws -> UInt64 {
        let zeros = bits(base, length: length, at: bit).trailingZeroBitCount
        guard zeros <= Int(escapeQuotient) else { throw StoreDataError("a Rice quotient of \(zeros)") }
        var value: UInt64
        if zeros == Int(escapeQuotient) {
            let low = bits(base, length: length, at: bit + zeros + 1) & 0xFFFF_FFFF
            value = low | (bits(base, length: length, at: bit + zeros + 33) & 0xFFFF_FFFF) << 32
            bit += zeros + 1 + 64
        } else {
            let lowMask: UInt64 = k == 0 ? 0 : (1 << UInt64(k)) - 1
            value = UInt64(zeros) << UInt64(k) | bits(base, length: length, at: bit + zeros + 1) & lowMask
            bit += zeros + 1 + k
        }
        guard bit <= length * 8 else { throw StoreDataError("the data ends early") }
        return value
    }

    /// Every value of `values`, a parameter byte a group, then the group's bits.
    public static func encode(_ values: [UInt64], into out: inout ByteWriter) {
        values.withUnsafeBufferPointer { all in
            var bits = BitWriter()
            var start = 0
            while start < all.count {
                let end = min(all.count, start + groupSize)
                let group = UnsafeBufferPointer(rebasing: all[start..<end])
                start = end
                if group.allSatisfy({ $0 == 0 }) {
                    bits.flush(into: &out)
                    out.byte(zeroGroup)
                    continue
                }
                let k = parameter(group)
                bits.flush(into: &out)
                out.byte(UInt8(k))
                for v in group {
                    let q = v >> UInt64(k)
                    if q < escapeQuotient {
                        bits.write(1 << q, count: Int(q) + 1, into: &out)
                        if k > 0 { bits.write(v, count: k, into: &out) }
                    } else {
                        bits.write(1 << escapeQuotient, count: Int(escapeQuotient) + 1, into: &out)
                        bits.write(v, count: 64, into: &out)
                    }
                }
            }
            bits.flush(into: &out)
        }
    }

    /// Bits appended least significant first to a `ByteWriter`; `flush` ends a group on a
    /// byte boundary.
    struct BitWriter {
        private var accumulator: UInt64 = 0
        private var filled = 0

        /// The low `count` (at most 64) bits of `value`.
        @inline(__always) mutating func write(_ value: UInt64, count: Int, into out: inout ByteWriter) {
            let v = count == 64 ? value : value & ((1 << UInt64(count)) - 1)
            accumulator |= v << UInt64(filled)
            if filled + count >= 64 {
                out.word(accumulator)
                let used = 64 - filled
                accumulator = used == 64 ? 0 : v >> UInt64(used)
                filled = filled + count - 64
            } else {
                filled += count
            }
        }

        mutating func flush(into out: inout ByteWriter) {
            var a = accumulator
            for _ in 0..<((filled + 7) / 8) {
                out.byte(UInt8(truncatingIfNeeded: a))
                a >>= 8
            }
            accumulator = 0
            filled = 0
        }
    }
}

extension ByteReader {
    /// `count` values written by `RiceCoding.encode`, into `out[0..<count]`. A query decodes
    /// millions of them: each value is one unaligned eight-byte load (a quotient, its closing
    /// bit and the low bits fit in the 57 bits it gives), with every check only near the end
    /// of the data or for a long value.
    public mutating func riceDecode(count: Int, into out: UnsafeMutablePointer<UInt64>) throws {
        var at = offset
        defer { offset = at }
        try bytes.withUnsafeBufferPointer { all in
            let end = all.count
            var written = 0
            while written < count {
                let n = min(count - written, RiceCoding.groupSize)
                guard at < end else { throw StoreDataError("the data ends early") }
                let header = all[at]
                at += 1
                if header == RiceCoding.zeroGroup {
                    (out + written).update(repeating: 0, count: n)
                    written += n
                    continue
                }
                guard header <= 56 else { throw StoreDataError("a Rice parameter of \(header)") }
                let k = Int(header)
                let lowMask: UInt64 = k == 0 ? 0 : (1 << UInt64(k)) - 1
                let base = UnsafeRawPointer(all.baseAddress! + at)
                let length = end - at  // bytes from the group's first byte to the end
                var bit = 0
                var i = 0
                // While 16 bytes are left past the bit read: one load a value, no other check
                // (a value takes at most 24 + 1 + 64 bits, within two loads).
                while i < n, (bit >> 3) + 16 <= length {
                    // Masking shifts (&>>, &<<): every amount here is under 64, and Swift's
                    // plain shifts spend instructions on amounts that are not.
                    let w = UInt64(littleEndian: (base + (bit &>> 3)).loadUnaligned(as: UInt64.self)) &>> UInt64(bit & 7)
                    let zeros = w.trailingZeroBitCount
                    if zeros < Int(RiceCoding.escapeQuotient), zeros + 1 + k <= 57 {
                        out[written + i] = UInt64(zeros) &<< UInt64(k) | (w &>> UInt64(zeros + 1)) & lowMask
                        bit += zeros + 1 + k
                    } else {
                        out[written + i] = try RiceCoding.slowValue(base, length: length, bit: &bit, k: k)
                    }
                    i += 1
                }
                while i < n {
                    out[written + i] = try RiceCoding.slowValue(base, length: length, bit: &bit, k: k)
                    i += 1
                }
                at += (bit + 7) >> 3  // a group ends on a byte boundary
                written += n
            }
        }
    }
}
