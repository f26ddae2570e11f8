import SensorBridgeCore

/// What one write of the store adds, decided from samples alone (no database): blocks,
/// summary cells to merge into what the store has, channels it has not seen, state
/// changes. The writer builds one and commits it in one transaction; when the commit
/// fails (a full disk) nothing of it is kept, and the same samples are built again later.
public struct StoreBatch: Sendable {
    public struct Block: Sendable {
        public var first: Int64
        public var last: Int64
        public var channelIDs: [Int]
        public var data: [UInt8]
        public var samples: Int
    }

    public struct Event: Sendable {
        public var time: Int64
        public var state: String
        public var detail: String
    }

    public var blocks: [Block] = []
    public var cells: [(level: Int, start: Int64, cell: SummaryCell)] = []
    public var newChannels: [(id: Int, name: String)] = []
    public var events: [Event] = []
    public var samples = 0
    public var lastTime: Int64?
    /// Channel names seen in this batch, in first-seen order.
    public var channelNames: [String] = []

    public var isEmpty: Bool { blocks.isEmpty && events.isEmpty }
}

/// Turns samples into a `StoreBatch`, numbering channel names as the store does. A value:
/// copy it, build, and keep the copy only once the batch is committed.
public struct StoreBatchBuilder: Sendable {
    public var channelIDs: [String: Int]
    public var nextChannelID: Int
    /// The most samples in one block (import fills blocks; the live writer flushes sooner).
    /// Not fewer: blocks of 4096 samples (about 6 KB) left most of a page empty each, a
    /// quarter of the file. Not more: a query decodes whole blocks, and 16 384 made short
    /// ranges a third slower for 0.01 bytes a value.
    public var maxBlockSamples = 8192
    /// Times are kept to this many µs (rounded down). The store keeps ms, as its contract
    /// speaks them: a line's arrival over USB is known to its 1 ms frame, and the µs below
    /// that (the host's scheduling) would cost a steady 1 kHz board 8 bits a sample where ms
    /// cost a fraction of one.
    public var timeUnitMicros: Int64 = 1_000

    public init(channelIDs: [String: Int], nextChannelID: Int) {
        self.channelIDs = channelIDs
        self.nextChannelID = nextChannelID
    }

    private var batch = StoreBatch()
    /// The block being filled; its values row by row (`names.count` a sample), turned into
    /// columns once per block rather than appended to one array per channel per sample.
    private var pending: (names: [String], ids: [Int], times: [Int64], rows: [Double])?
    /// The finest cells (level 0) being filled, by start; coarser levels are merged from them.
    private var finest: [Int64: SummaryCell] = [:]
    private var finestOrder: [Int64] = []
    /// The earliest and latest time in the block being filled.
    private var pendingSpan: (min: Int64, max: Int64) = (.max, .min)
    /// The finest cell being filled now (most samples fall in the same one as the last).
    private var current: (start: Int64, cell: SummaryCell)?

    private mutating func finishFinest() {
        guard let (start, cell) = current else { return }
        current = nil
        if finest[start] == nil { finestOrder.append(start) }
        finest[start, default: SummaryCell()].merge(cell)
    }

    /// Adds a sample, after the `lost` event of the lines its counter says were lost on the
    /// wire just before it (the stream's `lost` event, the import's alike).
    public mutating func add(_ sample: Sample) {
        let t = timeUnitMicros > 1 ? HistoryPlan.bucketStart(sample.timeMicros, width: timeUnitMicros) : sample.timeMicros
        if sample.linesLostBefore > 0 { add(lostLines: sample.linesLostBefore, at: t) }
        let names = sample.layout.names
        if pending == nil || pending!.names != names || pending!.times.count >= maxBlockSamples
            || max(pendingSpan.max, t).subtractingSaturating(min(pendingSpan.min, t)) > SampleBlock.maxSpanMicros {
            finishBlock()
            var ids: [Int] = []
            for name in names { ids.append(id(of: name)) }
            pending = (names, ids, [], [])
            pending!.times.reserveCapacity(min(maxBlockSamples, 1024))
            pending!.rows.reserveCapacity(min(maxBlockSamples, 1024) * names.count)
            pendingSpan = (t, t)
        }
        pendingSpan = (min(pendingSpan.min, t), max(pendingSpan.max, t))
        pending!.times.append(t)
        let width = names.count
        if sample.values.count == width {
            pending!.rows.append(contentsOf: sample.values)
        } else {
            for c in 0..<width { pending!.rows.append(c < sample.values.count ? sample.values[c] : .nan) }
        }
        let finestStart = SummaryLevel.cellStart(t, level: 0)
        if current?.start != finestStart { finishFinest(); current = (finestStart, SummaryCell()) }
        current!.cell.add(time: t, values: sample.values, channelIDs: pending!.ids)
        batch.samples += 1
        batch.lastTime = max(batch.lastTime ?? .min, t)
    }

    public mutating func add(event time: Int64, state: String, detail: String) {
        batch.events.append(.init(time: time, state: state, detail: detail))
    }

    /// A `lost` event: `lines` lines the sketch's line counter says were lost on the wire.
    mutating func add(lostLines lines: UInt64, at time: Int64) {
        add(event: time, state: "lost", detail: "\(lines) line\(lines == 1 ? "" : "s") lost on the wire (the sketch's line counter)")
    }

    public var pendingSamples: Int { batch.samples }

    /// The batch so far; the builder starts a new one (channel numbers carry on).
    public mutating func take() -> StoreBatch {
        finishBlock()
        finishFinest()
        // Seconds from their finest cells; those kept only for a dense second (see SummaryLevel).
        var secondCells: [Int64: SummaryCell] = [:]
        var wholeSeconds: [Int64] = []
        var finestOf: [Int64: [(Int64, SummaryCell)]] = [:]
        for start in finestOrder {
            let cell = finest[start]!
            let second = SummaryLevel.cellStart(start, level: 1)
            if secondCells[second] == nil { wholeSeconds.append(second) }
            secondCells[second, default: SummaryCell()].merge(cell)
            finestOf[second, default: []].append((start, cell))
        }
        var coarse: [[Int64: SummaryCell]] = Array(repeating: [:], count: SummaryLevel.widthsMicros.count)
        var orders: [[Int64]] = Array(repeating: [], count: SummaryLevel.widthsMicros.count)
        for second in wholeSeconds {
            let cell = secondCells[second]!
            if cell.samples >= SummaryLevel.denseSecond {
                for (start, finestCell) in finestOf[second]! { batch.cells.append((0, start, finestCell)) }
            }
            batch.cells.append((1, second, cell))
            for level in 2..<SummaryLevel.widthsMicros.count {
                let parent = SummaryLevel.cellStart(second, level: level)
                if coarse[level][parent] == nil { orders[level].append(parent) }
                coarse[level][parent, default: SummaryCell()].merge(cell)
            }
        }
        for level in 2..<SummaryLevel.widthsMicros.count {
            for start in orders[level] { batch.cells.append((level, start, coarse[level][start]!)) }
        }
        finest = [:]
        finestOrder = []
        defer { batch = StoreBatch() }
        return batch
    }

    private mutating func id(of name: String) -> Int {
        if let id = channelIDs[name] { return id }
        let id = nextChannelID
        nextChannelID += 1
        channelIDs[name] = id
        batch.newChannels.append((id, name))
        return id
    }

    private mutating func finishBlock() {
        guard let block = pending, !block.times.isEmpty else { return }
        pending = nil
        for name in block.names where !batch.channelNames.contains(name) { batch.channelNames.append(name) }
        let width = block.names.count
        let columns = block.rows.withUnsafeBufferPointer { rows in
            (0..<width).map { c in (0..<block.times.count).map { rows[$0 * width + c] } }
        }
        let encoded = SampleBlock(times: block.times, columns: columns).encoded()
        batch.blocks.append(.init(first: block.times.min()!, last: block.times.max()!, channelIDs: block.ids,
                                  data: encoded, samples: block.times.count))
    }
}
