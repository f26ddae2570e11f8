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

    /// Bits `encode` spends on `values`, but for each group's padding to a whole byte.
    public static func bits(_ values: [UInt64]) -> Int {
        values.withUnsafeBufferPointer { all in
            var bits = 0
            var start = 0
            while start < all.count {
                let end = min(all.count, start + groupSize)
                let group = UnsafeBufferPointer(rebasing: all[start..<end])
                start = end
                bits += 8 + (group.allSatisfy { $0 == 0 } ? 0 : cost(group, k: parameter(group)))
            }
            return bits
        }
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
    /// `count` values written by `RiceCoding.encode`, into `out[0..<count]`.
    public mutating func riceDecode(count: Int, into out: UnsafeMutablePointer<UInt64>) throws {
        var written = 0
        while written < count {
            let n = min(count - written, RiceCoding.groupSize)
            let header = try byte()
            if header == RiceCoding.zeroGroup {
                (out + written).update(repeating: 0, count: n)
                written += n
                continue
            }
            guard header <= 56 else { throw StoreDataError("a Rice parameter of \(header)") }
            var bits = BitReader(self)
            try bits.decodeGroup(k: Int(header), count: n, into: out + written)
            self = bits.finish()
            written += n
        }
    }
}

/// Reads bits least significant first from a `ByteReader`, keeping up to 64 in hand.
struct BitReader {
    private var reader: ByteReader
    private var buffer: UInt64 = 0
    private var available = 0

    init(_ reader: ByteReader) { self.reader = reader }

    /// The reader after this group's last whole byte.
    func finish() -> ByteReader { reader }

    /// Fills the buffer with as many whole bytes as fit; never throws (the end of the data
    /// shows as fewer bits available).
    @inline(__always) private mutating func refill() {
        while available <= 56, let b = reader.nextByteIfAny() {
            buffer |= UInt64(b) << UInt64(available)
            available += 8
        }
    }

    @inline(__always) private mutating func take(_ count: Int) throws -> UInt64 {
        if available < count { refill() }
        guard available >= count else { throw StoreDataError("the data ends early") }
        let value = count == 64 ? buffer : buffer & ((1 << UInt64(count)) - 1)
        buffer = count == 64 ? 0 : buffer >> UInt64(count)
        available -= count
        return value
    }

    mutating func decodeGroup(k: Int, count: Int, into out: UnsafeMutablePointer<UInt64>) throws {
        for i in 0..<count {
            if available < Int(RiceCoding.escapeQuotient) + 1 { refill() }
            let zeros = buffer.trailingZeroBitCount
            guard zeros < available else {
                // Fewer bits than a whole quotient: the data ends within it.
                throw StoreDataError("the data ends early")
            }
            let q = UInt64(zeros)
            guard q <= RiceCoding.escapeQuotient else { throw StoreDataError("a Rice quotient of \(q)") }
            buffer >>= q + 1
            available -= zeros + 1
            if q == RiceCoding.escapeQuotient {
                let low = try take(32)
                out[i] = low | (try take(32)) << 32  // written as 64 bits, read as two halves
            } else {
                out[i] = k == 0 ? q : q << UInt64(k) | (try take(k))
            }
        }
        // The group ends on a byte boundary: what is left of the last byte is padding.
        let spare = available % 8
        buffer >>= UInt64(spare)
        available -= spare
        reader.unread(bytes: available / 8)
    }
}
