/// Golomb–Rice coding of small unsigned numbers (zigzagged prediction residuals), in groups
/// of 128 with a parameter each: a value `u` is `u >> k` as zero bits closed by a one bit,
/// then its low `k` bits. Where the noise of a sensor is roughly Gaussian this spends about a
/// bit less a value than packing at the group's widest, which is what brings the store under
/// a byte a value. A quotient of `escapeQuotient` or more is written as the escape, and the
/// whole value in 64 bits (interleaved) or the quotient in 64 bits beside the group's low
/// bits (split), so no value and no hostile blob makes a run of unbounded length.
///
/// Two layouts of a group: `interleaved` (block version 2) writes each value's quotient and
/// low bits together; `split` (version 3 on) writes all the low bits, packed at width `k`,
/// then all the quotients, so a reader takes the low bits at fixed places and the
/// quotients from the set bits of a word held in a register: a query decodes a value in
/// about half the instructions, and no value waits for a load that depends on the last.
public enum RiceCoding {
    public enum Layout: Sendable { case interleaved, split }

    public static let groupSize = 128
    static let escapeQuotient: UInt64 = 24
    /// In a group's parameter byte: the group is all zeros (a flat signal), no bits follow.
    static let zeroGroup: UInt8 = 0xFF
    /// In a split group's parameter byte: escaped values follow (a count byte, then the
    /// quotient of each in eight bytes) before the low bits.
    static let escapesFlag: UInt8 = 0x40

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

    /// The first `n` values of a split group of `size` from its low bits at `base` (`room`
    /// bytes readable from there), given its parameter and escaped quotients; returns the
    /// bytes the group takes (when `n` is `size`: a group cut short is the last one read). The
    /// quotients come from the set bits of a word held in a register, each found by counting
    /// trailing zeros and cleared: a one-cycle step from one value to the next, where the
    /// interleaved layout waits for a load whose place depends on the last value. Wrapping
    /// arithmetic: every amount here is bounded by the group's size.
    static func splitGroup(_ base: UnsafePointer<UInt8>, room: Int, size: Int, count n: Int, k: Int,
                           escapes: UnsafePointer<UInt8>, escapeCount: Int,
                           into values: UnsafeMutablePointer<UInt64>) throws -> Int {
        let need = (size * k + 7) / 8  // the low bits' bytes
        guard room >= need else { throw StoreDataError("the data ends early") }
        let mask: UInt64 = k == 0 ? 0 : (1 << UInt64(k)) - 1
        if escapeCount == 0, n == size {
            let taken = splitGroupUsually(base, room: room, need: need, count: n, k: k, mask: mask, into: values)
            if taken >= 0 { return taken }
        }
        // Eight bytes past the low bits: every low value is one unchecked load (the usual
        // case: the quotients follow); otherwise they are unpacked first with checks.
        let direct = room - need >= 8
        if !direct {
            if k == 0 { values.update(repeating: 0, count: n) } else { ByteReader.unpackBits(base, room: room, width: k, count: n, into: values) }
        }
        let unary = base + need
        let unaryRoom = room - need
        @inline(__always) func word(_ index: Int) -> UInt64 {
            if unaryRoom &- index >= 8 { return UInt64(littleEndian: UnsafeRawPointer(unary + index).loadUnaligned(as: UInt64.self)) }
            return bits(unary, length: unaryRoom, at: index &* 8)
        }
        var wordAt = 0, bit = 0, next = 0, lowBit = 0, escaped = 0
        var held = word(0)
        var i = 0
        while i < n {
            while held == 0 {
                wordAt &+= 8
                bit &+= 64
                guard wordAt < unaryRoom else { throw StoreDataError("the data ends early") }
                guard bit &- next <= Int(escapeQuotient) else { throw StoreDataError("a Rice quotient of more than \(escapeQuotient)") }
                held = word(wordAt)
            }
            let one = bit &+ held.trailingZeroBitCount
            held &= held &- 1
            var q = UInt64(truncatingIfNeeded: one &- next)
            next = one &+ 1
            if q >= escapeQuotient {
                guard q == escapeQuotient else { throw StoreDataError("a Rice quotient of \(q)") }
                guard escaped < escapeCount else { throw StoreDataError("more escapes than \(escapeCount) escaped values") }
                q = UInt64(littleEndian: UnsafeRawPointer(escapes + escaped &* 8).loadUnaligned(as: UInt64.self))
                escaped &+= 1
            }
            let low: UInt64
            if direct {
                low = (UInt64(littleEndian: UnsafeRawPointer(base + lowBit &>> 3).loadUnaligned(as: UInt64.self)) &>> UInt64(lowBit & 7)) & mask
                lowBit &+= k
            } else {
                low = values[i]
            }
            values[i] = low | q &<< UInt64(k)
            i &+= 1
        }
        guard n < size || escaped == escapeCount else { throw StoreDataError("\(escapeCount) escaped values, \(escaped) escapes") }
        return need &+ (next &+ 7) &>> 3  // a group ends on a byte boundary
    }

    /// `splitGroup` where nothing is unusual: no escapes, every load at least eight bytes
    /// from the end, no quotient of 24 or more. Few values live in the loop, so all stay in
    /// registers. -1 (having written some values) when something is unusual: `splitGroup`
    /// then decodes the group again with every check. Not inlined: on its own, its values
    /// get the registers.
    @inline(never)
    static func splitGroupUsually(_ base: UnsafePointer<UInt8>, room: Int, need: Int, count n: Int, k: Int, mask: UInt64,
                                  into values: UnsafeMutablePointer<UInt64>) -> Int {
        let unary = base + need
        let lastWord = room &- need &- 8  // the last place a word of quotients can be loaded
        guard lastWord >= 0 else { return -1 }
        var wordAt = 0, next = 0, lowBit = 0
        var held = UInt64(littleEndian: UnsafeRawPointer(unary).loadUnaligned(as: UInt64.self))
        var value = values
        let end = values + n
        while value < end {
            while held == 0 {
                wordAt &+= 8
                guard wordAt <= lastWord else { return -1 }
                held = UInt64(littleEndian: UnsafeRawPointer(unary + wordAt).loadUnaligned(as: UInt64.self))
            }
            let one = wordAt &<< 3 &+ held.trailingZeroBitCount
            held &= held &- 1
            let q = one &- next
            next = one &+ 1
            guard q < Int(escapeQuotient) else { return -1 }
            let low = UInt64(littleEndian: UnsafeRawPointer(base + lowBit &>> 3).loadUnaligned(as: UInt64.self)) &>> UInt64(lowBit & 7)
            lowBit &+= k
            value.pointee = low & mask | UInt64(truncatingIfNeeded: q) &<< UInt64(truncatingIfNeeded: k)
            value += 1
        }
        return need &+ (next &+ 7) &>> 3
    }

    /// Every value of `values`, a parameter byte a group, then the group's bits in `layout`.
    public static func encode(_ values: [UInt64], into out: inout ByteWriter, layout: Layout = .split) {
        values.withUnsafeBufferPointer { all in
            var bits = BitWriter()
            var start = 0
            while start < all.count {
                let end = min(all.count, start + groupSize)
                let group = UnsafeBufferPointer(rebasing: all[start..<end])
                start = end
                if group.allSatisfy({ $0 == 0 }) {
                    out.byte(zeroGroup)
                    continue
                }
                let k = parameter(group)
                switch layout {
                case .interleaved:
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
                case .split:
                    let escaped = group.filter { $0 >> UInt64(k) >= escapeQuotient }
                    out.byte(UInt8(k) | (escaped.isEmpty ? 0 : escapesFlag))
                    if !escaped.isEmpty {
                        out.byte(UInt8(escaped.count))  // at most groupSize, 128
                        for v in escaped { out.word(v >> UInt64(k)) }
                    }
                    if k > 0 {
                        for v in group { bits.write(v, count: k, into: &out) }
                        bits.flush(into: &out)
                    }
                    for v in group {
                        let q = min(v >> UInt64(k), escapeQuotient)
                        bits.write(1 << q, count: Int(q) + 1, into: &out)
                    }
                }
                bits.flush(into: &out)
            }
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
    /// The first `count` of the `total` values written by `RiceCoding.encode` in `layout`,
    /// into `out[0..<count]`. When `count` is `total` the reader is left past them; when it
    /// is less, somewhere within the last group read (the caller skips to what follows).
    public mutating func riceDecode(count: Int, of total: Int, into out: UnsafeMutablePointer<UInt64>, layout: RiceCoding.Layout) throws {
        precondition(count <= total, "more values than were written")
        switch layout {
        case .interleaved: try riceDecodeInterleaved(count: count, into: out)
        case .split: try riceDecodeSplit(count: count, of: total, into: out)
        }
    }

    /// The split layout, a group at a time (`RiceCoding.splitGroup`); a group's size is
    /// what was written (`total`), even where fewer of its values are wanted.
    mutating func riceDecodeSplit(count: Int, of total: Int, into out: UnsafeMutablePointer<UInt64>) throws {
        var at = offset
        defer { offset = at }
        try bytes.withUnsafeBufferPointer { all in
            let end = all.count
            let start = all.baseAddress!
            var written = 0
            while written < count {
                let size = min(total - written, RiceCoding.groupSize)
                let n = min(count - written, size)
                let values = out + written
                guard at < end else { throw StoreDataError("the data ends early") }
                let header = all[at]
                at += 1
                written += n
                if header == RiceCoding.zeroGroup {
                    values.update(repeating: 0, count: n)
                    continue
                }
                let k = Int(header & ~RiceCoding.escapesFlag)
                guard k <= 56 else { throw StoreDataError("a Rice parameter of \(header)") }
                var escapes = 0
                var escapeAt = at
                if header & RiceCoding.escapesFlag != 0 {
                    guard at < end else { throw StoreDataError("the data ends early") }
                    escapes = Int(all[at])
                    guard escapes >= 1, escapes <= size else { throw StoreDataError("\(escapes) escaped values in a group of \(size)") }
                    escapeAt = at + 1
                    guard end - escapeAt >= 8 * escapes else { throw StoreDataError("the data ends early") }
                    at = escapeAt + 8 * escapes
                }
                at += try RiceCoding.splitGroup(start + at, room: end - at, size: size, count: n, k: k,
                                                escapes: start + escapeAt, escapeCount: escapes, into: values)
            }
        }
    }

    /// The interleaved layout (block version 2). Each value is one unaligned eight-byte load
    /// (a quotient, its closing bit and the low bits fit in the 57 bits it gives), with every
    /// check only near the end of the data or for a long value.
    mutating func riceDecodeInterleaved(count: Int, into out: UnsafeMutablePointer<UInt64>) throws {
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
