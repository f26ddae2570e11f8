import Foundation
import SensorBridgeCore

/// `sensorbridge import`: a recording (or raw capture) read through the same decoder as a
/// live board (`SampleDecoder`: framer, parser, the board's clock and line counter), its
/// samples written with their recorded times (or the board's clock's), the lines its counter
/// says were lost as `lost` events, a session per file. Big transactions: a million samples
/// a second and more.
extension HistoryStore {
    public struct ImportResult: Equatable, Sendable {
        public var samples: Int64 = 0
        public var skippedLines = 0
        public var rejectedLines: Int64 = 0
        public var first: Int64?
        public var last: Int64?
        /// Lines the sketch's line counter says were lost on the wire (stored as `lost` events).
        public var linesLost: UInt64 = 0
        /// The column taken for the board's clock (counting in `clockUnit`), and for its line
        /// counter, if any.
        public var clock: String?
        public var clockUnit: BoardClock.Unit?
        public var counter: String?
        /// A column by a clock's or a counter's name that did not behave like one (kept as a series).
        public var clockRefused: String?
        public var counterRefused: String?
    }

    /// Imports `path` as source `sourceName`. A raw capture (no time stamps) is timed at
    /// `rawLineRate` lines a second, ending at the file's modification time. `timeColumn` and
    /// `counterColumn` choose the columns that are not series, as for a live board. Times are
    /// stored to `timeUnitMicros` (ms unless `--store-micros`).
    public func importLog(path: String, sourceName: String, rawLineRate: Double,
                          timeColumn: BoardTimeColumn.Choice = .byName,
                          counterColumn: LineCounterColumn.Choice = .byName, timeUnitMicros: Int64 = 1_000) throws -> ImportResult {
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw StoreError("cannot read \(path): \(String(cString: strerror(errno)))")
        }
        defer { try? handle.close() }
        let head = [UInt8](handle.readData(ofLength: 4096))
        let isRecording = RecordingFormat.isRecording(head)
        var start: Int64
        if isRecording {
            guard let started = HistoryStore.startedMicros(head) else {
                throw StoreError("\(path) is a recording without its `# started` line; it cannot be placed in time")
            }
            start = started
        } else {
            let attributes = try? FileManager.default.attributesOfItem(atPath: path)
            let modified = (attributes?[.modificationDate] as? Date).map { Int64(saturating: $0.timeIntervalSince1970 * 1_000_000) } ?? WallClock.nowMicros()
            let lines = try HistoryStore.countLines(path)
            start = modified.subtractingSaturating(Int64(saturating: Double(lines) / rawLineRate * 1_000_000))
        }
        try handle.seek(toOffset: 0)
        let source = try sourceID(named: sourceName)
        let channels = try channelIDs(source: source)
        // Times as the store keeps them (the session's ends too, so the page never looks for a
        // sample in the part of a ms after the last one).
        func kept(_ time: Int64) -> Int64 { timeUnitMicros > 1 ? HistoryPlan.bucketStart(time, width: timeUnitMicros) : time }
        let session = try startSession(source: source, now: kept(start), kind: "import")
        // Two stages on two threads: this one reads and parses; the writer packs blocks and
        // summaries and commits, a chunk behind (at most two chunks wait between them).
        var builder = StoreBatchBuilder(channelIDs: channels.ids, nextChannelID: channels.next)
        builder.timeUnitMicros = timeUnitMicros
        let writer = ImportWriter(store: self, source: source, session: session, builder: builder)
        var reader = ReplayReader(rawLineRate: rawLineRate)
        var decoder = SampleDecoder(timeColumn: timeColumn, counterColumn: counterColumn)
        var sink = ImportSink()
        var skipped = 0
        // What the reader does not hand on as a whole line (a raw capture's piece ended by a
        // lone `\r`, cut at 64 KiB, or its last line without an end) and the lines it skipped;
        // whole lines, a recording's and a raw capture's, go to `feedLine` uncopied.
        func takeEvent(_ event: ReplayReader.Event) {
            switch event {
            case .chunk(let timed):
                decoder.feed(timed.bytes[...], receivedMicros: start.addingSaturating(timed.offsetMicros),
                             onError: { _, _ in sink.rejected += 1 }, onSample: { sink.add($0) })
            case .skipped:
                skipped += 1
            }
        }
        let readSize = 1 << 20
        var block = [UInt8](repeating: 0, count: readSize)
        let descriptor = handle.fileDescriptor
        do {
            while true {
                let count = block.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, readSize) }
                if count < 0 {
                    if errno == EINTR { continue }
                    throw StoreError("cannot read \(path): \(String(cString: strerror(errno)))")
                }
                if count == 0 { break }
                reader.feed(block[0..<count], entry: { offset, line in
                    decoder.feedLine(line, receivedMicros: start.addingSaturating(offset),
                                     onError: { _, _ in sink.rejected += 1 }, onSample: { sink.add($0) })
                }, emit: takeEvent)
                if sink.chunk.count >= ImportWriter.chunkSamples { try writer.hand(sink.takeChunk()) }
            }
            reader.finish(emit: takeEvent)
            decoder.flushCounts()
            try writer.hand(sink.takeChunk())
            try writer.finish()
            try endSession(session, at: sink.last.map(kept))
        } catch let error as StoreError {
            throw error
        } catch {
            throw StoreError("cannot write the store \(self.path): \(HistoryStore.describe(error))")
        }
        var result = ImportResult()
        result.samples = sink.samples
        result.skippedLines = skipped
        result.rejectedLines = sink.rejected
        result.first = sink.first.map(kept)
        result.last = sink.last.map(kept)
        result.linesLost = sink.linesLost
        result.clock = decoder.timeColumn.current?.name
        result.clockUnit = decoder.timeColumn.current?.unit
        result.counter = decoder.counterColumn.name
        result.clockRefused = decoder.timeColumn.refused
        result.counterRefused = decoder.counterColumn.refused
        return result
    }
    /// The `# started SECONDS.MICROS` of a recording's header.
    static func startedMicros(_ head: [UInt8]) -> Int64? {
        let text = String(decoding: head.prefix(4096), as: UTF8.self)
        for line in text.split(separator: "\n").prefix(3) where line.hasPrefix("# started ") {
            let number = line.dropFirst("# started ".count).prefix { $0 != " " }
            let parts = number.split(separator: ".", maxSplits: 1)
            guard let seconds = parts.first.flatMap({ Int64($0) }) else { return nil }
            var micros: Int64 = 0
            if parts.count == 2 {
                let digits = String(parts[1].prefix(6))
                guard let value = Int64(digits) else { return nil }
                micros = value * Int64(pow(10, Double(6 - digits.count)))
            }
            return seconds.multipliedSaturating(by: 1_000_000).addingSaturating(seconds < 0 ? -micros : micros)
        }
        return nil
    }

    static func countLines(_ path: String) throws -> Int {
        guard let handle = FileHandle(forReadingAtPath: path) else { return 0 }
        defer { try? handle.close() }
        var lines = 0
        while true {
            let data = handle.readData(ofLength: 1 << 20)
            if data.isEmpty { break }
            lines += data.reduce(0) { $0 + ($1 == 0x0a ? 1 : 0) }
        }
        return lines
    }
}

/// What the parse stage has gathered: the chunk for the writer, and the counts.
struct ImportSink {
    var chunk: [Sample] = []
    var samples: Int64 = 0
    var rejected: Int64 = 0
    var first: Int64?
    var last: Int64?
    var linesLost: UInt64 = 0

    init() { chunk.reserveCapacity(ImportWriter.chunkSamples) }

    mutating func add(_ sample: Sample) {
        chunk.append(sample)
        samples += 1
        linesLost = linesLost.addingSaturating(sample.linesLostBefore)
        first = min(first ?? sample.timeMicros, sample.timeMicros)
        last = max(last ?? sample.timeMicros, sample.timeMicros)
    }

    /// The chunk so far, a new one started (with its room reserved).
    mutating func takeChunk() -> [Sample] {
        var next: [Sample] = []
        next.reserveCapacity(ImportWriter.chunkSamples)
        swap(&next, &chunk)
        return next
    }
}

/// The import's second stage: samples in, blocks and summaries packed and committed on a
/// thread of its own. A failure stops it; the next `hand` or `finish` throws it.
final class ImportWriter: @unchecked Sendable {
    static let chunkSamples = 100_000
    private let store: HistoryStore
    private let source: Int
    private let session: Int
    private var builder: StoreBatchBuilder
    private let queue = DispatchQueue(label: "import-writer")
    private let slots = DispatchSemaphore(value: 2)
    private let lock = NSLock()
    private var failure: (any Error)?

    init(store: HistoryStore, source: Int, session: Int, builder: StoreBatchBuilder) {
        self.store = store
        self.source = source
        self.session = session
        self.builder = builder
    }

    func hand(_ samples: [Sample]) throws {
        try check()
        slots.wait()
        queue.async { [self] in
            defer { slots.signal() }
            guard lock.withLock({ failure == nil }) else { return }
            // Built in a local, moved out of the object and back: a stored property would be
            // checked for exclusive access on every sample.
            var local = builder
            builder = StoreBatchBuilder(channelIDs: [:], nextChannelID: 0)
            for sample in samples { local.add(sample) }
            let batch = local.take()
            builder = local
            do {
                try store.commit(batch, source: source, session: session, sessionEnd: batch.lastTime)
            } catch {
                lock.withLock { failure = error }
            }
        }
    }

    func finish() throws {
        queue.sync {}
        try check()
    }

    private func check() throws {
        if let failure = lock.withLock({ failure }) { throw failure }
    }
}
