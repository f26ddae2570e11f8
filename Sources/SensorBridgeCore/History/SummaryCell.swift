/// The summary of every sample of one source in one aligned stretch of time (a cell of a
/// summary level: 250 ms, 1 s, 10 s, 1 min, 10 min, 1 h): the first and last sample's time, how many
/// samples, and each channel's `ChannelSummary`, keyed by the store's channel number. A
/// history query over hours reads these instead of the samples.
public struct SummaryCell: Equatable, Sendable {
    /// µs since the epoch of the first and last sample in the cell.
    public var first: Int64 = .max
    public var last: Int64 = .min
    public var samples: Int64 = 0
    /// (channel number, summary), in channel-number order.
    public var channels: [(id: Int, summary: ChannelSummary)] = []

    public init() {}

    public var isEmpty: Bool { samples == 0 }

    public mutating func add(time: Int64, values: [Double], channelIDs: [Int]) {
        samples += 1
        if time < first { first = time }
        if time > last { last = time }
        for (value, id) in zip(values, channelIDs) where !value.isNaN {
            self[id].add(value)
        }
    }

    public mutating func merge(_ other: SummaryCell) {
        guard !other.isEmpty else { return }
        samples = samples.addingSaturating(other.samples)
        first = Swift.min(first, other.first)
        last = Swift.max(last, other.last)
        for (id, summary) in other.channels { self[id].merge(summary) }
    }

    public func summary(of id: Int) -> ChannelSummary? {
        channels.first { $0.id == id }?.summary
    }

    subscript(id: Int) -> ChannelSummary {
        get { summary(of: id) ?? ChannelSummary() }
        set {
            if let index = channels.firstIndex(where: { $0.id == id }) {
                channels[index].summary = newValue
            } else {
                let index = channels.firstIndex { $0.id > id } ?? channels.count
                channels.insert((id, newValue), at: index)
            }
        }
    }

    public static func == (a: SummaryCell, b: SummaryCell) -> Bool {
        a.first == b.first && a.last == b.last && a.samples == b.samples
            && a.channels.map(\.id) == b.channels.map(\.id)
            && zip(a.channels, b.channels).allSatisfy { $0.summary == $1.summary }
    }
}

extension SummaryCell {
    /// Whole numbers (what ADC counts sum to) are written as varints, others as 8-byte
    /// doubles. Times are written from the cell's start (its key in the store), in ms when
    /// they are whole ms; a channel's count only when it differs from the cell's, its max
    /// from its min: a 250 ms cell of three channels of counts takes about 30 bytes.
    private static func isWhole(_ value: Double) -> Bool {
        value.magnitude <= 9_007_199_254_740_992 && value.rounded(.towardZero) == value && !(value == 0 && value.sign == .minus)
    }

    /// In the channel-count varint: the times are in ms.
    static let msFlag: UInt64 = 1
    /// In a channel's kind byte: min, max and sum are whole; the count is the cell's.
    static let wholeFlag: UInt8 = 1
    static let countIsCellsFlag: UInt8 = 2

    /// The cell as stored under `start`.
    public func encoded(start: Int64) -> [UInt8] {
        var out = ByteWriter(capacity: 8 + channels.count * 10)
        out.varint(UInt64(max(0, samples)))
        let offset = first &- start, span = last &- first
        let unit: Int64 = offset % 1000 == 0 && span % 1000 == 0 ? 1000 : 1
        out.varint(UInt64(channels.count) << 1 | (unit == 1000 ? SummaryCell.msFlag : 0))
        out.signed(offset / unit)
        out.signed(span / unit)
        for (id, s) in channels {
            out.varint(UInt64(id))
            let whole = SummaryCell.isWhole(s.min) && SummaryCell.isWhole(s.max) && SummaryCell.isWhole(s.sum)
            let sameCount = s.count == samples
            out.byte((whole ? SummaryCell.wholeFlag : 0) | (sameCount ? SummaryCell.countIsCellsFlag : 0))
            if !sameCount { out.varint(UInt64(max(0, s.count))) }
            if whole {
                out.signed(Int64(s.min))
                out.signed(Int64(s.max) - Int64(s.min))
                out.signed(Int64(s.sum))
            } else {
                out.double(s.min)
                out.double(s.max)
                out.double(s.sum)
            }
        }
        return out.bytes
    }

    /// A cell stored under `start`.
    public init(decoding bytes: [UInt8], start: Int64) throws {
        self.init()
        try bytes.withUnsafeBytes { raw in
            var cell = try EncodedSummaryCell(raw, start: start)
            samples = cell.samples
            first = cell.first
            last = cell.last
            while let channel = try cell.nextChannel() { channels.append(channel) }
        }
    }

    /// A cell as schema 1 stored it (absolute µs times, every count, max as itself): read
    /// once, when a store of schema 1 is brought up to date.
    public init(decodingVersion1 bytes: [UInt8]) throws {
        var input = ByteReader(bytes)
        self.init()
        samples = Int64(clamping: try input.varint())
        first = try input.signed()
        last = first &+ (try input.signed())
        let count = try input.count(max: 4096)
        channels.reserveCapacity(count)
        for _ in 0..<count {
            let id = try input.count(max: Int(Int32.max))
            let n = Int64(clamping: try input.varint())
            switch try input.byte() {
            case 1:
                channels.append((id, ChannelSummary(count: n, min: Double(try input.signed()), max: Double(try input.signed()),
                                                    sum: Double(try input.signed()))))
            case 0:
                channels.append((id, ChannelSummary(count: n, min: try input.double(), max: try input.double(), sum: try input.double())))
            case let kind:
                throw StoreDataError("a summary of kind \(kind)")
            }
        }
    }
}

/// The summary levels: cells of these widths, aligned to the epoch. Each is a whole number
/// of the one before, so a range splits into whole cells of the coarsest level that fits.
/// Level 0 (250 ms) is kept only where a second is dense enough for it to pay (a fast board);
/// a query uses it for a second only when its cells add up to that second's count. It is a
/// quarter second, not a tenth, because its rows were the store's largest cost after the
/// samples themselves; buckets narrower than it come from the samples.
public enum SummaryLevel {
    public static let widthsMicros: [Int64] = [250_000, 1_000_000, 10_000_000, 60_000_000, 600_000_000, 3_600_000_000]
    /// Level 0's cells of a second are written when the part of the second written at once
    /// holds at least this many samples.
    public static let denseSecond: Int64 = 50

    /// The start of the cell of `level` that holds `time`.
    @inline(__always) public static func cellStart(_ time: Int64, level: Int) -> Int64 {
        let width = widthsMicros[level]
        let q = time / width
        return (time % width < 0 ? q - 1 : q).multipliedSaturating(by: width)  // times read from a file may be anything
    }
}

/// A stored cell read where it lies (SQLite's own buffer), for a query that only adds
/// cells up: the same checks as `SummaryCell(decoding:)`, but no arrays and no copy, which
/// is most of what a query of thousands of cells used to spend.
struct EncodedSummaryCell {
    private var input: RawByteReader
    let samples: Int64
    let first: Int64
    let last: Int64
    private var channelsLeft: Int

    init(_ bytes: UnsafeRawBufferPointer, start: Int64) throws {
        input = RawByteReader(bytes)
        samples = Int64(clamping: try input.varint())
        let header = try input.varint()
        guard header >> 1 <= 4096 else { throw StoreDataError("a count of \(header >> 1) channels is more than 4096") }
        channelsLeft = Int(header >> 1)
        let unit: Int64 = header & SummaryCell.msFlag != 0 ? 1000 : 1
        first = start &+ (try input.signed()) &* unit
        last = first &+ (try input.signed()) &* unit
    }

    /// The next channel's number and summary; nil after the last.
    @inline(__always) mutating func nextChannel() throws -> (id: Int, summary: ChannelSummary)? {
        guard channelsLeft > 0 else { return nil }
        channelsLeft -= 1
        let id = try input.count(max: Int(Int32.max))
        let kind = try input.byte()
        guard kind <= SummaryCell.wholeFlag | SummaryCell.countIsCellsFlag else { throw StoreDataError("a summary of kind \(kind)") }
        let n = kind & SummaryCell.countIsCellsFlag != 0 ? samples : Int64(clamping: try input.varint())
        if kind & SummaryCell.wholeFlag != 0 {
            let low = try input.signed(), range = try input.signed(), sum = try input.signed()
            return (id, ChannelSummary(count: n, min: Double(low), max: Double(low &+ range), sum: Double(sum)))
        }
        let low = try input.double(), high = try input.double(), sum = try input.double()
        return (id, ChannelSummary(count: n, min: low, max: high, sum: sum))
    }
}

extension SummaryCell {
    /// Only the sample count of a stored cell (what a query checks before trusting level-0 cells).
    public static func samples(of bytes: UnsafeRawBufferPointer) throws -> Int64 {
        var input = RawByteReader(bytes)
        return Int64(clamping: try input.varint())
    }
}

/// `ByteReader` over memory it does not own (a blob SQLite hands out while a row is current).
struct RawByteReader {
    private let bytes: UnsafeRawBufferPointer
    private var offset = 0

    init(_ bytes: UnsafeRawBufferPointer) { self.bytes = bytes }

    @inline(__always) mutating func byte() throws -> UInt8 {
        guard offset < bytes.count else { throw StoreDataError("the data ends early") }
        defer { offset += 1 }
        return bytes[offset]
    }

    @inline(__always) mutating func varint() throws -> UInt64 { try readVarint { try byte() } }

    @inline(__always) mutating func signed() throws -> Int64 { unzigzag(try varint()) }

    @inline(__always) mutating func count(max: Int) throws -> Int {
        let value = try varint()
        guard value <= UInt64(max) else { throw StoreDataError("a count of \(value) is more than \(max)") }
        return Int(value)
    }

    @inline(__always) mutating func double() throws -> Double {
        guard bytes.count - offset >= 8 else { throw StoreDataError("the data ends early") }
        var bits: UInt64 = 0
        for i in 0..<8 { bits |= UInt64(bytes[offset + i]) << UInt64(8 * i) }
        offset += 8
        return Double(bitPattern: bits)
    }
}
