import Foundation
import GRDB
import SensorBridgeCore

/// Reading the store: sources, sessions, history buckets (`HistoryPlan`), state changes.
extension HistoryStore {
    public struct Source: Equatable, Sendable {
        public var id: Int
        public var name: String
    }

    public func sources() throws -> [Source] {
        try pool.read { db in
            try Row.fetchAll(db, sql: "SELECT id, name FROM source ORDER BY id").map { Source(id: $0[0], name: $0[1]) }
        }
    }

    /// The source a request means: the one named, or the only one there is.
    public func resolveSource(_ name: String?) throws -> Source {
        let all = try sources()
        if let name {
            guard let source = all.first(where: { $0.name == name }) else {
                throw StoreError("the store has no source called \(name); it has \(all.isEmpty ? "none" : all.map(\.name).joined(separator: ", "))")
            }
            return source
        }
        guard all.count == 1 else {
            throw StoreError(all.isEmpty ? "the store holds no samples yet" : "the store holds several sources; say which with source=NAME: \(all.map(\.name).joined(separator: ", "))")
        }
        return all[0]
    }

    public struct Session: Equatable, Sendable {
        public var id: Int
        public var source: String
        public var start: Int64
        public var end: Int64
        public var open: Bool
        public var channels: [String]
        public var samples: Int64
        public var kind: String
    }

    public func sessions(source: String? = nil) throws -> [Session] {
        let filter = try source.map { try resolveSource($0).id }
        return try pool.read { db in
            let rows = try Row.fetchAll(db, sql: """
                SELECT session.id, source.name, start, end, open, channels, samples, kind FROM session JOIN source ON source.id = session.source
                WHERE ?1 IS NULL OR session.source = ?1 ORDER BY start, session.id
                """, arguments: [filter])
            return rows.map { row in
                let channels: String = row[5]
                return Session(id: row[0], source: row[1], start: row[2], end: row[3], open: row[4] != 0,
                               channels: channels.isEmpty ? [] : channels.split(separator: "\n").map(String.init),
                               samples: row[6], kind: row[7])
            }
        }
    }

    /// Channel names of `source`, in the order they first came.
    public func channels(source: Int) throws -> [(id: Int, name: String)] {
        try pool.read { db in
            try Row.fetchAll(db, sql: "SELECT id, name FROM channel WHERE source = ? ORDER BY id", arguments: [source]).map { ($0[0], $0[1]) }
        }
    }

    public struct StateChange: Equatable, Sendable {
        public var time: Int64
        public var state: String
        public var detail: String
    }

    public struct History: Sendable {
        public var channels: [String]
        public var columns: HistoryColumns
        public var events: [StateChange]
        public var plan: HistoryPlan
        /// Every bucket one sample.
        public var exact: Bool
    }

    /// At most `points` buckets of [from, to) (µs), each exact; `channels` nil: all.
    public func history(source name: String?, from: Int64, to: Int64, points: Int, channels wanted: [String]? = nil) throws -> History {
        let source = try resolveSource(name)
        let all = try channels(source: source.id)
        var chosen = all
        if let wanted {
            chosen = try wanted.map { name in
                guard let channel = all.first(where: { $0.name == name }) else {
                    throw StoreError("no channel called \(name); the channels are \(all.map(\.name).joined(separator: ", "))")
                }
                return channel
            }
        }
        var positions: [Int: Int] = [:]
        for (p, channel) in chosen.enumerated() { positions[channel.id] = p }
        var buckets = HistoryBuckets(channelCount: chosen.count)
        var exact = false
        let plan: HistoryPlan = try pool.read { db in
            // Below 1 s buckets, a range of few samples is read whole: count them (blocks).
            var estimate: Int? = nil
            if case .samples = HistoryPlan.choose(from: from, to: to, points: points) {
            } else if to.subtractingSaturating(from) < Int64(points).multipliedSaturating(by: 1_000_000) {
                estimate = try Int.fetchOne(db, sql: "SELECT coalesce(sum(samples), 0) FROM block WHERE source = ? AND first >= ? AND first < ? AND last >= ?",
                                            arguments: [source.id, from.subtractingSaturating(SampleBlock.maxSpanMicros), to, from])
            }
            let plan = HistoryPlan.choose(from: from, to: to, points: points, samples: estimate)
            switch plan {
            case .samples(let width):
                var single = HistoryBuckets(channelCount: chosen.count)
                var count = 0
                try forEachSample(db, source: source.id, from: from, to: to, positions: positions) { time, values, slots in
                    if count < points {
                        single.add(key: Int64(count), time: time, values: values, positions: slots)
                    }
                    count += 1
                    buckets.add(key: HistoryPlan.bucketStart(time.subtractingSaturating(from), width: width), time: time, values: values, positions: slots)
                }
                if count <= points {
                    buckets = single
                    exact = true
                }
            case .cells(let width, let level):
                let firstWhole = HistoryPlan.bucketStart(from.addingSaturating(width - 1), width: width)
                let lastWhole = HistoryPlan.bucketStart(to, width: width)
                if firstWhole < lastWhole {
                    let rows = try Row.fetchCursor(db, sql: "SELECT start, data FROM summary WHERE source = ? AND level = ? AND start >= ? AND start < ?",
                                                   arguments: [source.id, level, firstWhole, lastWhole])
                    while let row = try rows.next() {
                        let start: Int64 = row[0]
                        let data: Data = row[1]
                        let cell = try SummaryCell(decoding: [UInt8](data))
                        buckets.add(key: HistoryPlan.bucketStart(start, width: width), cell: cell, positions: positions)
                    }
                }
                let edges = firstWhole < lastWhole ? [(from, firstWhole), (lastWhole, to)] : [(from, to)]
                try addEdges(db, edges: edges, width: width, level: level)
            case .fine(let width):
                try addFine(db, width: width)
            }
            return plan
        }
        func addEdges(_ db: Database, edges: [(Int64, Int64)], width: Int64, level: Int) throws {
            for (a, b) in edges where a < b {
                let key = HistoryPlan.bucketStart(a, width: width)
                for piece in HistoryPlan.pieces(from: a, to: b, maxLevel: level) {
                    switch piece {
                    case .cells(let pieceLevel, let start, let end):
                        let rows = try Data.fetchCursor(db, sql: "SELECT data FROM summary WHERE source = ? AND level = ? AND start >= ? AND start < ?",
                                                        arguments: [source.id, pieceLevel, start, end])
                        while let data = try rows.next() {
                            buckets.add(key: key, cell: try SummaryCell(decoding: [UInt8](data)), positions: positions)
                        }
                    case .samples(let pa, let pb):
                        try forEachSample(db, source: source.id, from: pa, to: pb, positions: positions) { time, values, slots in
                            buckets.add(key: key, time: time, values: values, positions: slots)
                        }
                    }
                }
            }
        }
        /// Each second whole in range from its 100 ms cells when they add up to it; the
        /// others (sparse seconds, the ragged ends) from their samples.
        func addFine(_ db: Database, width: Int64) throws {
            let first = SummaryLevel.cellStart(from, level: 1)
            var seconds: [(start: Int64, samples: Int64)] = []
            let secondRows = try Row.fetchCursor(db, sql: "SELECT start, data FROM summary WHERE source = ? AND level = 1 AND start >= ? AND start < ? ORDER BY start",
                                                 arguments: [source.id, first, to])
            while let row = try secondRows.next() {
                let data: Data = row[1]
                seconds.append((row[0], try SummaryCell(decoding: [UInt8](data)).samples))
            }
            var tenths: [Int64: [(Int64, SummaryCell)]] = [:]
            let tenthRows = try Row.fetchCursor(db, sql: "SELECT start, data FROM summary WHERE source = ? AND level = 0 AND start >= ? AND start < ?",
                                                arguments: [source.id, first, to])
            while let row = try tenthRows.next() {
                let start: Int64 = row[0]
                let data: Data = row[1]
                tenths[SummaryLevel.cellStart(start, level: 1), default: []].append((start, try SummaryCell(decoding: [UInt8](data))))
            }
            var raw: [(Int64, Int64)] = []
            for (second, samples) in seconds {
                let secondEnd = second.addingSaturating(1_000_000)  // read from the file: may be anything
                let a = max(from, second), b = min(to, secondEnd)
                if a == second, b == secondEnd, let cells = tenths[second], cells.reduce(0, { $0.addingSaturating($1.1.samples) }) == samples {
                    for (start, cell) in cells { buckets.add(key: HistoryPlan.bucketStart(start, width: width), cell: cell, positions: positions) }
                } else if let last = raw.last, last.1 == a {
                    raw[raw.count - 1].1 = b
                } else {
                    raw.append((a, b))
                }
            }
            for (a, b) in raw {
                try forEachSample(db, source: source.id, from: a, to: b, positions: positions) { time, values, slots in
                    buckets.add(key: HistoryPlan.bucketStart(time, width: width), time: time, values: values, positions: slots)
                }
            }
        }
        // Few samples after all (a range mostly in a gap): one bucket each, as promised.
        if !exact, buckets.sampleCount <= Int64(points) {
            var single = HistoryBuckets(channelCount: chosen.count)
            var count: Int64 = 0
            try pool.read { db in
                try forEachSample(db, source: source.id, from: from, to: to, positions: positions) { time, values, slots in
                    single.add(key: count, time: time, values: values, positions: slots)
                    count += 1
                }
            }
            buckets = single
            exact = true
        }
        let events = try stateChanges(source: source.id, from: from, to: to, limit: 1000)
        return History(channels: chosen.map(\.name), columns: buckets.columns(), events: events, plan: plan, exact: exact)
    }

    /// Every stored sample of `source` in [from, to), block by block (in the order blocks
    /// begin), with each value's channel position (`positions`: channel number → position).
    func forEachSample(_ db: Database, source: Int, from: Int64, to: Int64, positions: [Int: Int],
                       _ body: (Int64, [Double], [Int?]) throws -> Void) throws {
        let rows = try Row.fetchCursor(db, sql: "SELECT first, last, channels, data FROM block WHERE source = ? AND first >= ? AND first < ? AND last >= ? ORDER BY first, id",
                                       arguments: [source, from.subtractingSaturating(SampleBlock.maxSpanMicros), to, from])
        while let row = try rows.next() {
            let ids: String = row[2]
            let slots = ids.split(separator: ",").map { Int($0).flatMap { positions[$0] } }
            let data: Data = row[3]
            let block = try SampleBlock(decoding: [UInt8](data))
            var values = [Double](repeating: .nan, count: block.columns.count)
            for i in 0..<block.count {
                let t = block.times[i]
                guard t >= from, t < to else { continue }
                for c in 0..<block.columns.count { values[c] = block.columns[c][i] }
                try body(t, values, slots)
            }
        }
    }

    public func stateChanges(source: Int, from: Int64, to: Int64, limit: Int) throws -> [StateChange] {
        try pool.read { db in
            try Row.fetchAll(db, sql: "SELECT time, state, detail FROM event WHERE source = ? AND time >= ? AND time < ? ORDER BY time LIMIT ?",
                             arguments: [source, from, to, limit]).map { StateChange(time: $0[0], state: $0[1], detail: $0[2]) }
        }
    }

    /// The time of the first and last sample of `source` (nil when it has none).
    public func extent(source: Int) throws -> (first: Int64, last: Int64)? {
        try pool.read { db in
            guard let row = try Row.fetchOne(db, sql: """
                SELECT (SELECT min(first) FROM block WHERE source = ?1),
                       (SELECT max(last) FROM block WHERE source = ?1 AND first >= (SELECT max(first) FROM block WHERE source = ?1) - ?2)
                """, arguments: [source, SampleBlock.maxSpanMicros]),
                  let first = row[0] as Int64?, let last = row[1] as Int64? else { return nil }
            return (first, last)
        }
    }
}
