import Foundation
import GRDB
import PropertyBased
import Testing
import TestSupport
@testable import SensorBridgeCore
@testable import SensorBridgeStore

/// Samples of a made-up 3-axis board: uneven rates, gaps, a channel missing now and then.
func syntheticSamples(seed: UInt64, start: Int64, seconds: Int, rate: Int) -> [Sample] {
    var random = SeededRandom(seed: seed)
    let layout = ChannelLayout(names: ["x", "y", "z"], isNamedByDevice: true)
    var samples: [Sample] = []
    var t = start
    let step = Int64(1_000_000 / rate)
    let end = start + Int64(seconds) * 1_000_000
    while t < end {
        if random.next() % 500 == 0 { t += Int64(random.next() % 30_000_000) }  // a gap of up to 30 s
        let values = (0..<3).map { c -> Double in
            random.next() % 97 == 0 ? .nan : Double(Int(512 + (random.next() % 400)) - 200 + c)
        }
        samples.append(Sample(timeMicros: t, values: values, layout: layout))
        t += step + Int64(random.next() % 200) - 100
    }
    return samples
}

func write(_ samples: [Sample], into store: HistoryStore, source name: String = "board", chunk: Int = 700) throws {
    let source = try store.sourceID(named: name)
    let ids = try store.channelIDs(source: source)
    var builder = StoreBatchBuilder(channelIDs: ids.ids, nextChannelID: ids.next)
    let session = try store.startSession(source: source, now: samples.first?.timeMicros ?? 0)
    var index = 0
    while index < samples.count {
        for sample in samples[index..<min(samples.count, index + chunk)] { builder.add(sample) }
        index += chunk
        let batch = builder.take()
        try store.commit(batch, source: source, session: session, sessionEnd: batch.lastTime)
    }
    try store.endSession(session, at: samples.last?.timeMicros)
}

/// `samples` as the store keeps them: times rounded down to the ms.
func keptAsStored(_ samples: [Sample]) -> [Sample] {
    samples.map { sample in
        var kept = sample
        kept.timeMicros = HistoryPlan.bucketStart(sample.timeMicros, width: 1000)
        return kept
    }
}

@Suite struct HistoryStoreTests {
    /// Every bucket of every answer is exactly the samples between its first and last time:
    /// count, min, max and mean against a pass over the samples themselves.
    @Test func historyBucketsAreExactAtEveryZoom() throws {
        let folder = try TemporaryFolder()
        let store = try HistoryStore(path: folder.file("h.sqlite"))
        let start: Int64 = 1_764_417_600_000_000 + 123_456
        // Three hours at 20 Hz (seconds too sparse for level-0 cells), then 15 minutes at 400 Hz.
        var samples = syntheticSamples(seed: 7, start: start, seconds: 3 * 3600, rate: 20)
        let burst = samples.last!.timeMicros + 1_000_000
        samples += syntheticSamples(seed: 8, start: burst, seconds: 900, rate: 400)
        try write(samples, into: store)
        samples = keptAsStored(samples)
        var random = SeededRandom(seed: 11)
        let spans: [Int64] = [2, 10, 70, 300, 600, 2000, 3600, 3 * 3600].map { $0 * 1_000_000 }
        for span in spans {
            for round in 0..<6 {
                // Half the ranges in the fast part (and across its start).
                let from = round % 2 == 0
                    ? start + Int64(random.next() % UInt64(max(1, 3 * 3600 * 1_000_000 - span))) - 5_000_000
                    : burst - span / 3 + Int64(random.next() % 600_000_000)
                let to = from + span
                let points = [1, 7, 300, 2000, 1500][Int(random.next() % 5)]
                let answer = try store.history(source: nil, from: from, to: to, points: points)
                let inRange = samples.filter { $0.timeMicros >= from && $0.timeMicros < to }
                #expect(answer.columns.n.reduce(0, +) == Int64(inRange.count), "span \(span) points \(points)")
                #expect(answer.columns.t0.count <= max(points, 1) + 2)
                #expect(answer.columns.t0 == answer.columns.t0.sorted())
                // Samples are in time order: each bucket's samples by binary search.
                func firstIndex(atOrAfter time: Int64) -> Int {
                    var low = 0, high = inRange.count
                    while low < high {
                        let middle = (low + high) / 2
                        if inRange[middle].timeMicros < time { low = middle + 1 } else { high = middle }
                    }
                    return low
                }
                for b in answer.columns.t0.indices {
                    let inside = inRange[firstIndex(atOrAfter: answer.columns.t0[b])..<firstIndex(atOrAfter: answer.columns.t1[b] + 1)]
                    #expect(Int64(inside.count) == answer.columns.n[b])
                    for c in 0..<3 {
                        let values = inside.map { $0.values[c] }.filter { !$0.isNaN }
                        if values.isEmpty {
                            #expect(answer.columns.min[c][b].isNaN)
                        } else {
                            #expect(answer.columns.min[c][b] == values.min()!)
                            #expect(answer.columns.max[c][b] == values.max()!)
                            #expect(abs(answer.columns.mean[c][b] - values.reduce(0, +) / Double(values.count)) < 1e-9)
                        }
                    }
                }
                if inRange.count <= points {
                    #expect(answer.exact)
                    #expect(answer.columns.n.allSatisfy { $0 == 1 })
                    #expect(answer.columns.t0 == inRange.map(\.timeMicros))
                }
            }
        }
    }

    /// A query finds blocks by their first time, so none may span more than a minute: a slow
    /// board's block is cut by time, and so is one across a clock step.
    @Test func aBlockNeverSpansMoreThanAMinute() {
        let layout = ChannelLayout(names: ["x"], isNamedByDevice: true)
        var builder = StoreBatchBuilder(channelIDs: [:], nextChannelID: 1)
        var times: [Int64] = (0..<200).map { Int64($0) * 5_000_000 }  // one sample every 5 s
        times += [times.last! - 3_600_000_000, times.last! + 1]  // the clock stepped back an hour, then on
        for t in times { builder.add(Sample(timeMicros: t, values: [1], layout: layout)) }
        let batch = builder.take()
        #expect(batch.blocks.allSatisfy { $0.last - $0.first <= SampleBlock.maxSpanMicros })
        #expect(batch.blocks.reduce(0) { $0 + $1.samples } == times.count)
        #expect(batch.blocks.count >= 17)
    }

    @Test func piecesCoverTheRangeOnceWithWholeCells() async {
        await propertyCheck(count: 300, input: Gen.int64(in: -5_000_000_000...5_000_000_000), Gen.int64(in: 0...20_000_000_000), Gen.int(in: 1...5)) { from, length, level in
            let to = from + length
            var cursor = from
            let pieces = HistoryPlan.pieces(from: from, to: to, maxLevel: level)
            #expect(pieces.count <= 2 * level + 3, "at most two runs a level")
            for piece in pieces {
                switch piece {
                case .cells(let l, let start, let end):
                    let width = SummaryLevel.widthsMicros[l]
                    #expect(l >= 1 && l <= level && start == cursor && end > start)
                    #expect(SummaryLevel.cellStart(start, level: l) == start && (end - start) % width == 0)
                    cursor = end
                case .samples(let a, let b):
                    #expect(a == cursor && b > a && b - a < 2_000_000)  // a second's remainder and the end within the next
                    cursor = b
                }
            }
            #expect(cursor == max(from, to))
        }
        // At the ends of the number range the first (or last) second is cut short: the runs
        // still start on boundaries, and no samples piece spans more than its cut-short second.
        for (from, to) in [(Int64.min, Int64.min + 200_000_000_000), (Int64.min + 4096, Int64.min + 2_101_248),
                           (Int64.max - 200_000_000_000, Int64.max), (Int64.max - 3_000_000, Int64.max)] {
            var cursor = from
            for piece in HistoryPlan.pieces(from: from, to: to, maxLevel: 5) {
                switch piece {
                case .cells(let l, let start, let end):
                    #expect(start == cursor && end > start && SummaryLevel.cellStart(start, level: l) == start
                            && SummaryLevel.cellStart(end, level: l) == end)
                    cursor = end
                case .samples(let a, let b):
                    #expect(a == cursor && b > a && b - a < 2_000_000)
                    cursor = b
                }
            }
            #expect(cursor == to)
        }
    }

    @Test func timesAreReadAsPeopleWriteThem() {
        let now: Int64 = 1_764_417_600_000_000
        #expect(TimeArgument.micros("now", nowMicros: now) == now)
        #expect(TimeArgument.micros("-1h", nowMicros: now) == now - 3_600_000_000)
        #expect(TimeArgument.micros("now-15m", nowMicros: now) == now - 900_000_000)
        #expect(TimeArgument.micros("1764417600000", nowMicros: now) == now)
        #expect(TimeArgument.micros("1764417600000.5", nowMicros: now) == now + 500)
        #expect(TimeArgument.micros("2025-11-29T12:00:00Z", nowMicros: 0) == 1_764_417_600_000_000)
        #expect(TimeArgument.micros("2025-11-29T13:00:00.25+01:00", nowMicros: 0) == 1_764_417_600_250_000)
        #expect(TimeArgument.micros("2025-11-29", nowMicros: 0) == 1_764_374_400_000_000)
        for bad in ["", "yesterday", "2025-13-01", "2025-02-30", "-1x", "1e400", "12:00", "2025-11-29T25:00Z", "--1h"] {
            #expect(TimeArgument.micros(bad, nowMicros: now) == nil, "\(bad)")
        }
    }

    @Test func exportThenImportGivesBackEverySampleExactly() throws {
        let folder = try TemporaryFolder()
        let store = try HistoryStore(path: folder.file("a.sqlite"))
        let samples = syntheticSamples(seed: 3, start: 1_764_417_600_000_000, seconds: 120, rate: 50)
        try write(samples, into: store)
        // The widest range there is, in one bucket: its ragged ends are a few runs of cells.
        let everything = try store.history(source: nil, from: -62_167_219_200_000_000, to: 253_402_300_799_000_000, points: 1)
        #expect(everything.columns.n == [Int64(samples.count)])
        var recording: [UInt8] = []
        let written = try store.export(source: nil, from: .min, to: .max, format: .recording) { recording += $0 }
        #expect(written == Int64(samples.count))
        try Data(recording).write(to: URL(fileURLWithPath: folder.file("out.log")))
        let copy = try HistoryStore(path: folder.file("b.sqlite"))
        let result = try copy.importLog(path: folder.file("out.log"), sourceName: "board", rawLineRate: 50)
        #expect(result.samples == Int64(samples.count))
        var first: [UInt8] = [], second: [UInt8] = []
        try store.export(source: nil, from: .min, to: .max, format: .csv) { first += $0 }
        try copy.export(source: nil, from: .min, to: .max, format: .csv) { second += $0 }
        // The same samples: every time and every value of every channel, by name.
        func table(_ csv: [UInt8]) -> [String: [String]] {
            let rows = String(decoding: csv, as: UTF8.self).split(separator: "\n").map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
            var columns: [String: [String]] = [:]
            for (c, name) in rows[0].enumerated() { columns[name] = rows.dropFirst().map { $0[c] } }
            return columns
        }
        let original = table(first), copied = table(second)
        #expect(original.keys.sorted() == ["time", "x", "y", "z"])
        #expect(original["time"]!.count == samples.count)
        for name in ["time", "x", "y", "z"] {
            let same = original[name]! == copied[name]!
            #expect(same, "column \(name) differs")
        }
        #expect(Double(original["time"]![0])! * 1000 == Double(samples[0].timeMicros))
        #expect(original["y"]!.contains(""))  // missing values stay missing
    }

    /// A raw capture (a sketch's output saved as it came, no times) is timed at the rate
    /// given, one line after another; a line of garbage is counted, not stored.
    @Test func aRawCaptureIsTimedAtItsRate() throws {
        let folder = try TemporaryFolder()
        let lines = (0..<500).map { "\($0),\(1000 - $0)" } + ["\u{1}\u{2}garbage"] + (500..<600).map { "\($0),\(1000 - $0)" }
        try Data((lines.joined(separator: "\r\n") + "\r\n").utf8).write(to: URL(fileURLWithPath: folder.file("capture.txt")))
        let store = try HistoryStore(path: folder.file("raw.sqlite"))
        let result = try store.importLog(path: folder.file("capture.txt"), sourceName: "board", rawLineRate: 100)
        #expect(result.samples == 600)
        #expect(result.rejectedLines == 1)
        let (first, last) = (try #require(result.first), try #require(result.last))
        #expect(last - first == 600 * 10_000)  // 601 lines, 10 ms apart
        var csv: [UInt8] = []
        try store.export(source: nil, from: .min, to: .max, format: .csv) { csv += $0 }
        let rows = String(decoding: csv, as: UTF8.self).split(separator: "\n")
        #expect(rows.count == 601)
        #expect(rows[1].hasSuffix(",0,1000") && rows[600].hasSuffix(",599,401"))
    }

    /// An import decodes a board's lines as a live bridge does: a line counter's jumps become
    /// `lost` events (stored, counted) and samples are timed by the board's clock, found by
    /// their names on trial or named (and taken at once).
    @Test(arguments: [false, true])
    func anImportStoresLinesLostOnTheWireAndTheBoardsTimes(named: Bool) throws {
        let folder = try TemporaryFolder()
        let recording = named ? NumberedClockRecording(counter: "n", clock: "tick", microseconds: true) : NumberedClockRecording()
        try recording.write(to: folder.file("board.log"))
        let store = try HistoryStore(path: folder.file("board.sqlite"))
        let result = try store.importLog(path: folder.file("board.log"), sourceName: "board", rawLineRate: 50,
                                         timeColumn: named ? .named("tick", .microseconds) : .byName,
                                         counterColumn: named ? .named("n") : .byName)
        #expect(result.samples == Int64(recording.sent.count) && result.rejectedLines == 0)
        #expect(result.linesLost == 4)
        #expect(result.counter == (named ? "n" : "seq") && result.clock == (named ? "tick" : "ms"))
        #expect(result.clockUnit == (named ? .microseconds : .milliseconds))

        let start = NumberedClockRecording.startMicros
        let history = try store.history(source: "board", from: start - 60_000_000, to: start + 60_000_000, points: 10)
        #expect(history.channels == ["x"], "neither the counter nor the clock is a series")
        let lost = history.events.filter { $0.state == "lost" }
        #expect(lost.map(\.detail) == ["3 lines lost on the wire (the sketch's line counter)", "1 line lost on the wire (the sketch's line counter)"])
        #expect(lost.map(\.time) == [NumberedClockRecording.boardTimeMicros(line: 53), NumberedClockRecording.boardTimeMicros(line: 121)],
                "each at the sample after the lines lost")

        var csv: [UInt8] = []
        try store.export(source: nil, from: .min, to: .max, format: .csv) { csv += $0 }
        let rows = String(decoding: csv, as: UTF8.self).split(separator: "\n").dropFirst().map { $0.split(separator: ",") }
        #expect(rows.count == recording.sent.count)
        #expect(rows.map { Int($0[1]) } == recording.sent.map { $0 * 3 }, "every line's value, in order")
        // Once the clock is in use (named: at once; found by name: after its trial, 100 ms of
        // arrivals, and its smallest delay seen), each time is the board's, not the arrival's.
        let timedFrom = named ? 3 : 15
        for (row, line) in zip(rows, recording.sent) where line >= timedFrom {
            let micros = Int64((Double(row[0])! * 1000).rounded())
            #expect(micros == NumberedClockRecording.boardTimeMicros(line: line), "line \(line)")
        }
    }

    static let storeFixtures = BridgeProcess.packageRoot + "/Tests/Fixtures/store/"

    /// A copy of the store fixture `name` in `folder` (an upgrade changes the file).
    static func copyOfFixture(_ name: String, in folder: TemporaryFolder) throws -> String {
        let path = folder.file(name)
        try FileManager.default.copyItem(atPath: storeFixtures + name, toPath: path)
        return path
    }

    /// The samples of `version1.log`, from which the stores of older schemas were made: the
    /// recording itself is the oracle (start + each line's offset in µs, three values).
    static func fixtureRecording() throws -> [(t: Int64, v: [Double])] {
        let log = try String(contentsOfFile: storeFixtures + "version1.log", encoding: .utf8).split(separator: "\n")
        let started = Int64(log[1].split(separator: " ")[2].split(separator: ".")[0])! * 1_000_000
        return log.dropFirst(2).map { line in
            let parts = line.split(separator: " ")
            let offset = parts[0].split(separator: ".")
            return (started + Int64(offset[0])! * 1_000_000 + Int64(offset[1])!, parts[1].split(separator: ",").map { Double($0)! })
        }
    }

    /// A store written by schema 1 (`Tests/Fixtures/store/version1.sqlite`: 3 s of the
    /// benchmark's 1 kHz accelerometer, imported from `version1.log` by the build before
    /// schema 2) is brought up to date when first opened, even by a reader, and then answers
    /// exactly what its recording holds, at every plan: its re-coded cells, its µs blocks,
    /// and beside them samples written since (kept to the ms).
    @Test func aStoreOfSchema1IsBroughtUpToDateAndAnswersExactly() throws {
        let folder = try TemporaryFolder()
        let path = try Self.copyOfFixture("version1.sqlite", in: folder)
        let fixtures = Self.storeFixtures
        #expect(StoreFile.storedSchemaVersion(path: path) == 1)
        // A row an editor damaged (a key that is no integer, a cell that does not decode)
        // goes, rather than being misread later or trapped on.
        try DatabaseQueue(path: path).write { db in
            try db.execute(sql: "INSERT INTO summary(source, level, start, data) VALUES (1, 2, 'soon', x'01'), (1, 3, 7, x'ffff')")
        }
        #expect(StoreFile.storedSchemaVersion(path: path) == 1)
        let truth = try Self.fixtureRecording()
        #expect(truth.count == 3000)
        func check(_ store: HistoryStore, source: String?, samples: [(t: Int64, v: [Double])]) throws {
            let from = samples[0].t, to = samples.last!.t + 1
            for points in [1, 2, 4, 10, 40, 700, 5000] {
                let answer = try store.history(source: source, from: from, to: to, points: points)
                #expect(answer.columns.n.reduce(0, +) == 3000, "points \(points)")
                if answer.exact {
                    // A sample a bucket, in order (times kept to the ms may repeat).
                    #expect(answer.columns.t0 == samples.map(\.t))
                    for c in 0..<3 { #expect(answer.columns.min[c] == samples.map { $0.v[c] }) }
                    continue
                }
                for b in answer.columns.t0.indices {
                    let inside = samples.filter { $0.t >= answer.columns.t0[b] && $0.t <= answer.columns.t1[b] }
                    #expect(Int64(inside.count) == answer.columns.n[b], "points \(points) bucket \(b)")
                    for c in 0..<3 {
                        #expect(answer.columns.min[c][b] == inside.map { $0.v[c] }.min())
                        #expect(answer.columns.max[c][b] == inside.map { $0.v[c] }.max())
                    }
                }
            }
        }
        do {
            let reader = try HistoryStore(path: path, readOnly: true)
            #expect(StoreFile.storedSchemaVersion(path: path) == StoreFile.schemaVersion)
            try check(reader, source: nil, samples: truth)
        }
        let damaged = try DatabaseQueue(path: path).read { db in
            try Int.fetchOne(db, sql: "SELECT count(*) FROM summary WHERE typeof(start) != 'integer' OR (level = 3 AND start = 7)")
        }
        #expect(damaged == 0)
        let store = try HistoryStore(path: path)
        try check(store, source: nil, samples: truth)
        _ = try store.importLog(path: fixtures + "version1.log", sourceName: "again", rawLineRate: 1000)
        try check(store, source: "again", samples: truth.map { (HistoryPlan.bucketStart($0.t, width: 1000), $0.v) })
        try check(store, source: "v1", samples: truth)
        _ = try store.importLog(path: fixtures + "version1.log", sourceName: "micros", rawLineRate: 1000, timeUnitMicros: 1)
        try check(store, source: "micros", samples: truth)
    }

    /// A store of schema 2 (`Tests/Fixtures/store/version2.sqlite`: the same 3 s imported as
    /// source `v2` by the build before schema 3, its blocks of version 2) is read as it is,
    /// unchanged, by a reader; a writer marks it schema 3 and writes blocks of version 3
    /// beside the old ones, and both answer exactly.
    @Test func aStoreOfSchema2IsReadAsItIsAndWrittenOn() throws {
        let folder = try TemporaryFolder()
        let path = try Self.copyOfFixture("version2.sqlite", in: folder)
        let fixtures = Self.storeFixtures
        #expect(StoreFile.storedSchemaVersion(path: path) == 2)
        /// The versions of a source's blocks (each blob's first byte).
        func versions(_ source: String) throws -> Set<UInt8> {
            try DatabaseQueue(path: path).read { db in
                let firsts = try Data.fetchAll(db, sql: "SELECT substr(data, 1, 1) FROM block JOIN source ON source.id = block.source WHERE source.name = ?", arguments: [source])
                return Set(firsts.compactMap(\.first))
            }
        }
        #expect(try versions("v2") == [2])
        // Kept to the ms by schema 2 and since.
        let truth = try Self.fixtureRecording().map { (t: HistoryPlan.bucketStart($0.t, width: 1000), v: $0.v) }
        func check(_ store: HistoryStore, source: String) throws {
            // Every sample (one a bucket), then buckets of a few, then the samples cut short.
            let from = truth[0].t, to = truth.last!.t + 1
            for (points, end) in [(5000, to), (40, to), (5000, truth[1234].t)] {
                let answer = try store.history(source: source, from: from, to: end, points: points)
                let inRange = truth.filter { $0.t < end }
                #expect(answer.columns.n.reduce(0, +) == Int64(inRange.count), "\(source) points \(points)")
                if answer.exact {
                    // A sample a bucket, in order (times kept to the ms may repeat).
                    #expect(answer.columns.t0 == inRange.map(\.t))
                    for c in 0..<3 { #expect(answer.columns.min[c] == inRange.map { $0.v[c] }, "\(source) points \(points)") }
                    continue
                }
                for b in answer.columns.t0.indices {
                    let inside = inRange.filter { $0.t >= answer.columns.t0[b] && $0.t <= answer.columns.t1[b] }
                    for c in 0..<3 {
                        #expect(answer.columns.min[c][b] == inside.map { $0.v[c] }.min(), "\(source) points \(points) bucket \(b)")
                        #expect(answer.columns.max[c][b] == inside.map { $0.v[c] }.max(), "\(source) points \(points) bucket \(b)")
                    }
                }
            }
        }
        do {
            let reader = try HistoryStore(path: path, readOnly: true)
            try check(reader, source: "v2")
        }
        #expect(StoreFile.storedSchemaVersion(path: path) == 2)
        let store = try HistoryStore(path: path)
        #expect(StoreFile.storedSchemaVersion(path: path) == StoreFile.schemaVersion)
        _ = try store.importLog(path: fixtures + "version1.log", sourceName: "v3", rawLineRate: 1000)
        #expect(try versions("v3") == [SampleBlock.version])
        try check(store, source: "v2")
        try check(store, source: "v3")
    }

    /// Times in a store are read from a file: the extremes of Int64 are answered, not trapped on.
    @Test func extremeTimesInAStoreNeverTrap() throws {
        let folder = try TemporaryFolder()
        let store = try HistoryStore(path: folder.file("x.sqlite"))
        let layout = ChannelLayout(names: ["x"], isNamedByDevice: true)
        let times: [Int64] = [.min, .min + 1, -1, 0, .max - 1, .max]
        try write(times.map { Sample(timeMicros: $0, values: [1], layout: layout) }, into: store, chunk: 2)
        // Kept to the ms, Int64.max is stored as the ms before it, inside [min, max).
        for points in [1, 3, 10] {
            let answer = try store.history(source: nil, from: .min, to: .max, points: points)
            #expect(answer.columns.n.reduce(0, +) == 6)
        }
        var csv: [UInt8] = [], recording: [UInt8] = []
        #expect(try store.export(source: nil, from: .min, to: .max, format: .csv) { csv += $0 } == 6)
        #expect(try store.export(source: nil, from: .min, to: .max, format: .recording) { recording += $0 } == 6)
    }

    @Test func filesThatAreNotOursAreRefusedAndLeftAsTheyAre() throws {
        let folder = try TemporaryFolder()
        let text = folder.file("notes.txt")
        try Data("my notes\n".utf8).write(to: URL(fileURLWithPath: text))
        let other = folder.file("other.sqlite")
        try DatabaseQueue(path: other).write { try $0.execute(sql: "CREATE TABLE t(a); INSERT INTO t VALUES (1)") }
        let newer = folder.file("newer.sqlite")
        try DatabaseQueue(path: newer).write {
            try $0.execute(sql: "PRAGMA application_id = \(StoreFile.applicationID); PRAGMA user_version = 99; CREATE TABLE t(a)")
        }
        for (path, words) in [(text, "not an SQLite database"), (other, "another program's"), (newer, "newer sensorbridge")] {
            let before = try Data(contentsOf: URL(fileURLWithPath: path))
            #expect {
                _ = try HistoryStore(path: path)
            } throws: { error in
                (error as? StoreError)?.description.contains(words) == true
            }
            #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == before)
            #expect(!FileManager.default.fileExists(atPath: path + "-wal"))
        }
    }

    @Test func aSecondWriterIsRefused() throws {
        let folder = try TemporaryFolder()
        let first = try HistoryStore(path: folder.file("s.sqlite"))
        #expect {
            _ = try HistoryStore(path: folder.file("s.sqlite"))
        } throws: { error in
            (error as? StoreError)?.description.contains("in use by another sensorbridge") == true
        }
        // Readers (an archive, an export) may look while it writes.
        let reader = try HistoryStore(path: folder.file("s.sqlite"), readOnly: true)
        #expect(try reader.sources().isEmpty)
        _ = first
    }

    @Test func retentionDropsOldSamplesFirstAndKeepsSummariesLonger() throws {
        let folder = try TemporaryFolder()
        let store = try HistoryStore(path: folder.file("r.sqlite"))
        let day: Int64 = 86_400_000_000
        let now: Int64 = 1_764_417_600_000_000
        try write(syntheticSamples(seed: 1, start: now - 10 * day, seconds: 600, rate: 20), into: store)
        let recent = syntheticSamples(seed: 2, start: now - day / 2, seconds: 600, rate: 20)
        try write(recent, into: store)
        let dropped = try store.retain(keepMicros: 7 * day, keepSummariesMicros: 70 * day, maxBytes: nil, now: now)
        #expect(dropped > 0)
        let old = try store.history(source: nil, from: now - 11 * day, to: now - 9 * day, points: 100)
        // Samples are gone; the hour cells still say what there was.
        var csv: [UInt8] = []
        let left = try store.export(source: nil, from: .min, to: .max, format: .csv) { csv += $0 }
        #expect(left == Int64(recent.count))
        #expect(old.columns.n.reduce(0, +) > 0)
        // A size bound drops the oldest blocks until the file's used pages fit.
        try write(syntheticSamples(seed: 4, start: now - day / 4, seconds: 3600, rate: 200), into: store)
        let before = try store.usedBytes()
        try store.retain(keepMicros: 7 * day, keepSummariesMicros: 70 * day, maxBytes: before / 2, now: now)
        #expect(try store.usedBytes() <= before / 2)
        let newest = try store.history(source: nil, from: now - day / 4, to: now, points: 10)
        #expect(newest.columns.n.reduce(0, +) > 0)
    }
}
