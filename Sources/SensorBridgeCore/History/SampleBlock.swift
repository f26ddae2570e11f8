/// A run of samples of one source under one set of channel names, as the history store
/// keeps them: one row of its `block` table, compressed.
///
/// Times are delta-of-delta in the largest unit that divides them all (the store keeps ms:
/// a steady 1 kHz source then costs a fraction of a bit a sample); each channel is either
/// decimal numbers as scaled integers (what a sketch prints: ADC counts, `23.5`), coded
/// whichever way is smallest: the residuals of a `LinearPredictor`, Rice-coded, or deltas or
/// deltas of deltas, bit-packed; or, when no scale is exact, doubles XORed with the previous
/// (Gorilla). Packing and Rice work in groups of 128, so one outlier costs only its group. A
/// value that is not there (NaN) costs one bit. Decoding gives back every value bit for bit.
public struct SampleBlock: Equatable, Sendable {
    /// µs since the epoch, one per sample.
    public var times: [Int64]
    /// One array per channel, each as long as `times` (or empty: a column a query left out,
    /// `init(decoding:before:columns:)`); NaN where the sample had no value.
    public var columns: [[Double]]

    public init(times: [Int64], columns: [[Double]]) {
        self.times = times
        self.columns = columns
    }

    public var count: Int { times.count }

    public static func == (a: SampleBlock, b: SampleBlock) -> Bool {
        a.times == b.times && a.columns.count == b.columns.count
            && zip(a.columns, b.columns).allSatisfy { x, y in
                x.count == y.count && zip(x, y).allSatisfy { $0.bitPattern == $1.bitPattern || ($0.isNaN && $1.isNaN) }
            }
    }
}

extension SampleBlock {
    /// Version 2 added the time unit and predicted columns; version 3 each column's length
    /// (a query skips the columns and the ends of columns it does not need) and the split
    /// Rice layout. Blocks of versions 1 (µs, no prediction) and 2 still read.
    public static let version: UInt8 = 3
    /// The most samples and channels a block may say it holds (a torn or hostile blob
    /// cannot make the reader allocate more).
    public static let maxSamples = 1 << 22
    public static let maxChannels = 64
    /// The most time one block spans (last minus first sample): a query for a range finds
    /// its blocks by their first time alone.
    public static let maxSpanMicros: Int64 = 60_000_000

    private enum ColumnKind: UInt8 { case empty = 0, scaled = 1, xor = 2, predicted = 3 }
    /// The time units a block may be written in: a time unit read from a blob must be one.
    static let timeUnits: [Int64] = [1, 1_000]
    private static let hasGapsFlag: UInt8 = 0x80
    private static let powersOfTen: [Double] = (0...9).map { k in (0..<k).reduce(1.0) { a, _ in a * 10 } }

    /// The blob of the current version; `version` 2 (what earlier bridges wrote) only for
    /// tests that old stores still read.
    public func encoded(version: UInt8 = SampleBlock.version) -> [UInt8] {
        precondition(version == 2 || version == 3, "blocks are written in version 2 or 3")
        var out = ByteWriter(capacity: 16 + count * (1 + columns.count))
        out.byte(version)
        out.varint(UInt64(count))
        out.varint(UInt64(columns.count))
        encodeTimes(into: &out)
        for column in columns {
            var body = ByteWriter(capacity: 16 + count)
            SampleBlock.encode(column: column, into: &body, layout: version >= 3 ? .split : .interleaved)
            if version >= 3 { out.varint(UInt64(body.bytes.count)) }
            out.bytes.append(contentsOf: body.bytes)
        }
        return out.bytes
    }

    private func encodeTimes(into out: inout ByteWriter) {
        let unit = SampleBlock.timeUnits.last { unit in times.allSatisfy { $0 % unit == 0 } } ?? 1
        out.varint(UInt64(unit))
        guard let first = times.first else { return }
        out.signed(first / unit)
        guard count > 1 else { return }
        var previousDelta = times[1] / unit &- first / unit
        out.signed(previousDelta)
        var dods: [UInt64] = []
        dods.reserveCapacity(count - 2)
        for i in 2..<count {
            let delta = times[i] / unit &- times[i - 1] / unit
            dods.append(zigzag(delta &- previousDelta))
            previousDelta = delta
        }
        out.packed(dods)
    }

    private static func encode(column: [Double], into out: inout ByteWriter, layout: RiceCoding.Layout) {
        let present = column.filter { !$0.isNaN }
        guard let first = present.first else {
            out.byte(ColumnKind.empty.rawValue)
            return
        }
        let gaps = present.count < column.count
        let scale = decimalScale(of: present)
        // Scaled: deltas, or deltas of deltas where they pack smaller (a smooth vibration
        // does), or a predictor's residuals where those take fewer bytes still.
        var body: [UInt8]? = nil
        var kind = ColumnKind.xor
        if let scale {
            let p = powersOfTen[scale]
            let integers = present.map { Int64($0 * p) }
            var deltas: [UInt64] = [], secondOrder: [UInt64] = []
            deltas.reserveCapacity(integers.count)
            secondOrder.reserveCapacity(integers.count)
            for i in 1..<max(1, integers.count) {
                deltas.append(zigzag(integers[i] &- integers[i - 1]))
                if i >= 2 { secondOrder.append(zigzag((integers[i] &- integers[i - 1]) &- (integers[i - 1] &- integers[i - 2]))) }
            }
            var scaled = ByteWriter(capacity: 16 + integers.count)
            let useSecond = integers.count > 2 && packedBits(secondOrder[...]) < packedBits(deltas.dropFirst())
            scaled.byte(UInt8(scale) | (useSecond ? secondOrderFlag : 0))
            scaled.signed(integers[0])
            if useSecond {
                scaled.signed(integers[1] &- integers[0])
                scaled.packed(secondOrder)
            } else {
                scaled.packed(deltas)
            }
            if let predicted = predictedEncoding(integers, scale: scale, layout: layout), predicted.count < scaled.bytes.count {
                (kind, body) = (.predicted, predicted)
            } else {
                (kind, body) = (.scaled, scaled.bytes)
            }
        }
        out.byte(kind.rawValue | (gaps ? hasGapsFlag : 0))
        if gaps {
            var bits = [UInt8](repeating: 0, count: (column.count + 7) / 8)
            for (i, v) in column.enumerated() where !v.isNaN { bits[i >> 3] |= 1 << UInt8(i & 7) }
            out.bytes.append(contentsOf: bits)
        }
        if let body {
            out.bytes.append(contentsOf: body)
        } else {
            out.double(first)
            var previous = first.bitPattern
            for v in present.dropFirst() {
                let xor = v.bitPattern ^ previous
                previous = v.bitPattern
                if xor == 0 {
                    out.byte(0)
                    continue
                }
                let trailing = xor.trailingZeroBitCount / 8
                let significant = 8 - xor.leadingZeroBitCount / 8 - trailing
                out.byte(UInt8(trailing) | UInt8(significant) << 4)
                var word = xor >> UInt64(8 * trailing)
                for _ in 0..<significant {
                    out.byte(UInt8(truncatingIfNeeded: word))
                    word >>= 8
                }
            }
        }
    }

    /// A scaled column as a predictor and its Rice-coded residuals (scale byte, order,
    /// mean, coefficients, the first `order` values less the mean, residuals); nil when the
    /// column is too short or no fit is sound.
    private static func predictedEncoding(_ integers: [Int64], scale: Int, layout: RiceCoding.Layout) -> [UInt8]? {
        // The order the fits expect smallest, then its real cost.
        let fits = integers.withUnsafeBufferPointer { LinearPredictor.fit($0) }
        guard let chosen = fits.min(by: { $0.estimatedBits < $1.estimatedBits })?.predictor else { return nil }
        let residuals = integers.withUnsafeBufferPointer { chosen.residuals($0) }
        var out = ByteWriter(capacity: integers.count + 16 * chosen.order + 16)
        out.byte(UInt8(scale))
        out.varint(UInt64(chosen.order))
        out.signed(chosen.mean)
        for c in chosen.coefficients { out.signed(c) }
        for v in integers.prefix(chosen.order) { out.signed(v &- chosen.mean) }
        RiceCoding.encode(residuals, into: &out, layout: layout)
        return out.bytes
    }

    /// Bits `ByteWriter.packed` would spend on `values`.
    static func packedBits(_ values: [UInt64]) -> Int { packedBits(values[...]) }

    /// The same for a slice, which the encoder compares without copying it.
    static func packedBits(_ values: ArraySlice<UInt64>) -> Int {
        values.withUnsafeBufferPointer { all in
            var bits = 0
            var start = 0
            while start < all.count {
                let end = min(all.count, start + ByteWriter.groupSize)
                var word: UInt64 = 0
                for i in start..<end { word |= all[i] }
                bits += 8 + (64 - word.leadingZeroBitCount) * (end - start)
                start = end
            }
            return bits
        }
    }

    /// In a scaled column's scale byte: the values are deltas of deltas.
    private static let secondOrderFlag: UInt8 = 0x80

    /// The fewest decimals (0…9) that write every value as an integer and read it back bit
    /// for bit; nil when there are none.
    static func decimalScale(of values: [Double]) -> Int? {
        func exact(_ v: Double, _ k: Int) -> Bool {
            let p = powersOfTen[k]
            let scaled = v * p
            guard scaled.magnitude <= 9_007_199_254_740_992, scaled.rounded(.towardZero) == scaled else { return false }
            return (Double(Int64(scaled)) / p).bitPattern == v.bitPattern
        }
        var k = 0
        // Values from here on were found exact at the final k; only those before it (checked
        // at a smaller one) are checked again, and none when k never rose (ADC counts).
        var checkedAtK = 0
        for (index, v) in values.enumerated() {
            while !exact(v, k) {
                k += 1
                checkedAtK = index
                if k == powersOfTen.count { return nil }
            }
        }
        return values[..<checkedAtK].allSatisfy { exact($0, k) } ? k : nil
    }

    public init(decoding bytes: [UInt8]) throws {
        try self.init(decoding: bytes, before: nil, columns: nil)
    }

    /// Only what a query needs: the samples up to the last one timed before `end` (all when
    /// nil), and the columns `wanted` marks (all when nil; the others come back empty). A
    /// query of a minute ends within its last block, whose rest is then never decoded; from
    /// version 3 on a column's length is written, so what is left out is skipped unread.
    /// What is read is checked as a whole decoding checks it; what is skipped is not, so a
    /// damaged block may answer a query that `export` (every sample) refuses.
    public init(decoding bytes: [UInt8], before end: Int64?, columns wanted: [Bool]?) throws {
        var input = ByteReader(bytes)
        let version = try input.byte()
        guard version >= 1, version <= SampleBlock.version else { throw StoreDataError("a block of version \(version)") }
        let count = try input.count(max: SampleBlock.maxSamples)
        let channels = try input.count(max: SampleBlock.maxChannels)
        var unit: Int64 = 1
        if version >= 2 {
            let written = try input.varint()
            guard let known = SampleBlock.timeUnits.first(where: { UInt64($0) == written }) else {
                throw StoreDataError("a time unit of \(written) µs")
            }
            unit = known
        }
        // Unpacked in place: each raw 64-bit value is replaced by the time it leads to.
        let times = try [Int64](unsafeUninitializedCapacity: count) { buffer, initialized in
            guard count > 0 else { return }
            var previous = try input.signed()
            buffer[0] = previous &* unit
            initialized = 1
            guard count > 1 else { return }
            var delta = try input.signed()
            previous = previous &+ delta
            buffer[1] = previous &* unit
            initialized = 2
            try (buffer.baseAddress! + 2).withMemoryRebound(to: UInt64.self, capacity: count - 2) { raw in
                try input.unpack(count: count - 2, into: raw)
                for i in 0..<(count - 2) {
                    delta = delta &+ unzigzag(raw[i])
                    previous = previous &+ delta
                    raw[i] = UInt64(bitPattern: previous &* unit)
                }
            }
            initialized = count
        }
        var kept = count
        if let end {
            kept = 0
            for i in stride(from: count - 1, through: 0, by: -1) where times[i] < end {
                kept = i + 1
                break
            }
        }
        var columns: [[Double]] = []
        columns.reserveCapacity(channels)
        for k in 0..<channels {
            let isWanted = wanted.map { k < $0.count && $0[k] } ?? true
            guard version >= 3 else {
                // No lengths: every column is read to find the next.
                let column = try SampleBlock.decodeColumn(count: count, keeping: count, from: &input, layout: .interleaved)
                columns.append(isWanted ? (kept < count ? Array(column.prefix(kept)) : column) : [])
                continue
            }
            let length = try input.varint()
            guard length <= UInt64(bytes.count - input.offset) else { throw StoreDataError("a column of \(length) bytes where \(bytes.count - input.offset) are left") }
            let columnEnd = input.offset + Int(length)
            if isWanted {
                // The column's own bytes: a torn length cannot make it read the next one's.
                var own = ByteReader(Array(bytes[input.offset..<columnEnd]))
                columns.append(try SampleBlock.decodeColumn(count: count, keeping: kept, from: &own, layout: .split))
                guard kept < count || own.isAtEnd else { throw StoreDataError("a column of \(length) bytes holds \(own.offset)") }
            } else {
                columns.append([])
            }
            input.offset = columnEnd
        }
        self.init(times: kept < count ? Array(times.prefix(kept)) : times, columns: columns)
    }

    /// Scaled integers, delta or delta-of-delta coded, back to their values: unpacked in place
    /// (each raw 64-bit value replaced by its Double), with no division for whole numbers.
    private static func decodeScaled(count: Int, scale: Int, secondOrder: Bool, from input: inout ByteReader) throws -> [Double] {
        let p = powersOfTen[scale]
        return try [Double](unsafeUninitializedCapacity: count) { buffer, initialized in
            var previous = try input.signed()
            var delta: Int64 = 0
            var start = 1
            if secondOrder {
                delta = try input.signed()
                start = 2
            }
            buffer[0] = Double(previous) / p
            if secondOrder {
                previous = previous &+ delta
                buffer[1] = Double(previous) / p
            }
            // The rest is unpacked as raw 64-bit values into the Doubles' own memory, then each
            // raw value is overwritten by its Double's bits.
            try (buffer.baseAddress! + start).withMemoryRebound(to: UInt64.self, capacity: count - start) { raw in
                try input.unpack(count: count - start, into: raw)
                if secondOrder, scale == 0 {
                    for i in 0..<(count - start) {
                        delta = delta &+ unzigzag(raw[i])
                        previous = previous &+ delta
                        raw[i] = Double(previous).bitPattern
                    }
                } else if secondOrder {
                    for i in 0..<(count - start) {
                        delta = delta &+ unzigzag(raw[i])
                        previous = previous &+ delta
                        raw[i] = (Double(previous) / p).bitPattern
                    }
                } else if scale == 0 {
                    for i in 0..<(count - start) {
                        previous = previous &+ unzigzag(raw[i])
                        raw[i] = Double(previous).bitPattern
                    }
                } else {
                    for i in 0..<(count - start) {
                        previous = previous &+ unzigzag(raw[i])
                        raw[i] = (Double(previous) / p).bitPattern
                    }
                }
            }
            initialized = count
        }
    }

    /// The first `keeping` (or, when fewer, `order + 1`) of a predicted column's `present`
    /// values (see `predictedEncoding`).
    private static func decodePredicted(present: Int, keeping: Int, from input: inout ByteReader, layout: RiceCoding.Layout) throws -> [Double] {
        let scale = Int(try input.byte())
        guard scale < powersOfTen.count else { throw StoreDataError("a decimal scale of \(scale)") }
        let order = try input.count(max: LinearPredictor.maxOrder)
        guard order >= 1, order < present else { throw StoreDataError("a predictor of order \(order) for \(present) values") }
        let count = max(keeping, order + 1)
        let mean = try input.signed()
        var coefficients: [Int64] = []
        for _ in 0..<order { coefficients.append(try input.signed()) }
        let predictor = LinearPredictor(mean: mean, coefficients: coefficients)
        let p = powersOfTen[scale]
        return try [Double](unsafeUninitializedCapacity: count) { buffer, initialized in
            try buffer.baseAddress!.withMemoryRebound(to: Int64.self, capacity: count) { d in
                for i in 0..<order { d[i] = try input.signed() }
                try (d + order).withMemoryRebound(to: UInt64.self, capacity: count - order) { raw in
                    try input.riceDecode(count: count - order, of: present - order, into: raw, layout: layout)
                }
                predictor.reconstruct(d, count: count)
                let words = UnsafeMutableRawPointer(d).assumingMemoryBound(to: UInt64.self)
                if scale == 0 {
                    for i in 0..<count { words[i] = Double(d[i]).bitPattern }
                } else {
                    for i in 0..<count { words[i] = (Double(d[i]) / p).bitPattern }
                }
            }
            initialized = count
        }
    }

    /// The first `keeping` values of a column of `count`; the reader is left past them, not
    /// necessarily past the column.
    private static func decodeColumn(count: Int, keeping: Int, from input: inout ByteReader, layout: RiceCoding.Layout) throws -> [Double] {
        let header = try input.byte()
        guard let kind = ColumnKind(rawValue: header & ~hasGapsFlag) else { throw StoreDataError("a column of kind \(header)") }
        if kind == .empty { return [Double](repeating: .nan, count: keeping) }
        var presence: [Bool]? = nil
        var present = count
        if header & hasGapsFlag != 0 {
            var flags = [Bool](repeating: false, count: count)
            var index = 0
            for _ in 0..<((count + 7) / 8) {
                let bits = try input.byte()
                for bit in 0..<8 where index < count {
                    flags[index] = bits & (1 << UInt8(bit)) != 0
                    index += 1
                }
            }
            presence = flags
            present = flags.reduce(0) { $0 + ($1 ? 1 : 0) }
        }
        // The present values among the first `keeping` samples; the decoders may give a few
        // more (a column's first values are written apart), never fewer.
        let wanted = presence.map { flags in flags[..<keeping].reduce(0) { $0 + ($1 ? 1 : 0) } } ?? keeping
        var values: [Double] = []
        values.reserveCapacity(present)
        if wanted > 0 {
            switch kind {
            case .scaled:
                let scaleByte = try input.byte()
                let scale = Int(scaleByte & ~secondOrderFlag)
                guard scale < powersOfTen.count else { throw StoreDataError("a decimal scale of \(scale)") }
                let secondOrder = scaleByte & secondOrderFlag != 0
                if secondOrder { guard present >= 3 else { throw StoreDataError("deltas of deltas of \(present) values") } }
                values = try decodeScaled(count: min(present, max(wanted, 2)), scale: scale, secondOrder: secondOrder, from: &input)
            case .predicted:
                values = try decodePredicted(present: present, keeping: wanted, from: &input, layout: layout)
            case .xor:
                var previous = try input.double().bitPattern
                values.append(Double(bitPattern: previous))
                for _ in 1..<wanted {
                    let header = try input.byte()
                    let trailing = Int(header & 0x0f), significant = Int(header >> 4)
                    guard trailing + significant <= 8 else { throw StoreDataError("a value header of \(header)") }
                    var xor: UInt64 = 0
                    for i in 0..<significant { xor |= UInt64(try input.byte()) << UInt64(8 * i) }
                    previous ^= xor << UInt64(8 * trailing)
                    values.append(Double(bitPattern: previous))
                }
            case .empty:
                break
            }
        }
        guard let presence else { return values.count > keeping ? Array(values.prefix(keeping)) : values }
        var column = [Double](repeating: .nan, count: keeping)
        var next = 0
        for (i, isThere) in presence[..<keeping].enumerated() where isThere {
            column[i] = values[next]
            next += 1
        }
        return column
    }
}
