import Foundation
import SensorBridgeCore

/// `sensorbridge import`: a recording (or raw capture) read through the same framer and
/// parser as a live board, its samples written with their recorded times, a session per
/// file. Big transactions: a million samples a second and more.
extension HistoryStore {
    public struct ImportResult: Equatable, Sendable {
        public var samples: Int64 = 0
        public var skippedLines = 0
        public var rejectedLines: Int64 = 0
        public var first: Int64?
        public var last: Int64?
    }

    /// Imports `path` as source `sourceName`. A raw capture (no time stamps) is timed at
    /// `rawLineRate` lines a second, ending at the file's modification time.
    public func importLog(path: String, sourceName: String, rawLineRate: Double) throws -> ImportResult {
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
            let modified = (attributes?[.modificationDate] as? Date).map { Int64($0.timeIntervalSince1970 * 1_000_000) } ?? WallClock.nowMicros()
            let lines = try HistoryStore.countLines(path)
            start = modified.subtractingSaturating(Int64(saturating: Double(lines) / rawLineRate * 1_000_000))
        }
        try handle.seek(toOffset: 0)
        let source = try sourceID(named: sourceName)
        let channels = try channelIDs(source: source)
        var builder = StoreBatchBuilder(channelIDs: channels.ids, nextChannelID: channels.next)
        let session = try startSession(source: source, now: start, kind: "import")
        var reader = ReplayReader(rawLineRate: rawLineRate)
        var decoder = SampleDecoder()
        var result = ImportResult()
        var rejected: Int64 = 0
        func feed(_ event: ReplayReader.Event) {
            switch event {
            case .chunk(let chunk):
                decoder.feed(chunk.bytes[...], receivedMicros: start.addingSaturating(chunk.offsetMicros),
                             onError: { _, _ in rejected += 1 }) { sample in
                    builder.add(sample)
                    result.samples += 1
                    result.first = min(result.first ?? sample.timeMicros, sample.timeMicros)
                    result.last = max(result.last ?? sample.timeMicros, sample.timeMicros)
                }
            case .skipped:
                result.skippedLines += 1
            }
        }
        func commitIfFull(force: Bool) throws {
            guard force || builder.pendingSamples >= 200_000 else { return }
            let batch = builder.take()
            try commit(batch, source: source, session: session, sessionEnd: batch.lastTime)
        }
        do {
            while true {
                let data = handle.readData(ofLength: 1 << 20)
                if data.isEmpty { break }
                reader.feed([UInt8](data)[...], emit: feed)
                try commitIfFull(force: false)
            }
            reader.finish(emit: feed)
            try commitIfFull(force: true)
            try endSession(session, at: result.last)
        } catch let error as StoreError {
            throw error
        } catch {
            throw StoreError("cannot write the store \(self.path): \(HistoryStore.describe(error))")
        }
        result.rejectedLines = rejected
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
