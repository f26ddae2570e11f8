import Foundation
import GRDB
import GRDBSQLite
import SensorBridgeCore

/// Reading the store: sources, sessions, history buckets (`HistoryPlan`), state changes.
extension HistoryStore {
    public struct Source: Equatable, Sendable {
        public var id: Int
        public var name: String
    }

    public func sources() throws -> [Source] {
        try pool.read { db in try sources(db) }
    }

    private func sources(_ db: Database) throws -> [Source] {
        try Row.fetchAll(db.cachedStatement(sql: "SELECT id, name FROM source ORDER BY id")).map { Source(id: $0[0], name: $0[1]) }
    }

    /// The source a request means: the one named, or the only one there is.
    public func resolveSource(_ name: String?) throws -> Source {
        try pool.read { db in try resolveSource(db, name) }
    }

    private func resolveSource(_ db: Database, _ name: String?) throws -> Source {
        let all = try sources(db)
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
        /// The source answered for (the only one, when none was named).
        public var source: String
        public var channels: [String]
        public var columns: HistoryColumns
        public var events: [StateChange]
        public var plan: HistoryPlan
        /// Every bucket one sample.
        public var exact: Bool
    }

    /// At most `points` buckets of [from, to) (µs), each exact; `channels` nil: all.
    /// One read transaction for all of it, statements cached, cells read where SQLite keeps
    /// them and samples added straight from their blocks: a short range is a few ms at most.
    public func history(source name: String?, from: Int64, to: Int64, points: Int, channels wanted: [String]? = nil) throws -> History {
        try pool.read { db in try history(db, source: name, from: from, to: to, points: points, channels: wanted) }
    }

    private func history(_ db: Database, source name: String?, from: Int64, to: Int64, points: Int, channels wanted: [String]?) throws -> History {
        let source = try resolveSource(db, name)
        let all = try Row.fetchAll(db.cachedStatement(sql: "SELECT id, name FROM channel WHERE source = ? ORDER BY id"),
                                   arguments: [source.id]).map { (id: $0[0] as Int, name: $0[1] as String) }
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
        /// Buckets laid out in advance on the lattice the plan's keys lie on.
        func prepare(_ lattice: HistoryBuckets.Lattice?) {
            buckets = HistoryBuckets(channelCount: chosen.count, positions: positions, lattice: lattice)
        }
        let latticeLimit = 2 * max(1, points) + 2

        /// Adds the cells of `level` starting in [start, end), each to `key(its start)`.
        func addCells(level: Int, start: Int64, end: Int64, key: (Int64) -> Int64) throws {
            try forEachCell(db, sql: "SELECT start, data FROM summary WHERE source = ? AND level = ? AND start >= ? AND start < ?",
                            arguments: [source.id, level, start, end]) { cellStart, bytes in
                try buckets.add(key: key(cellStart), encodedCell: bytes, start: cellStart)
            }
        }
        /// Adds the samples in [a, b), each to the bucket `key` says.
        func addSamples(_ a: Int64, _ b: Int64, key: HistoryBuckets.SampleKey) throws {
            var key = key
            for (block, slots) in try blocks(db, source: source.id, from: a, to: b, positions: positions) {
                buckets.add(block: block, from: a, to: b, slots: slots, key: &key)
            }
        }

        // Below 1 s buckets, a range of few samples is read whole: count them (blocks).
        var estimate: Int? = nil
        if case .samples = HistoryPlan.choose(from: from, to: to, points: points) {
        } else if to.subtractingSaturating(from) < Int64(points).multipliedSaturating(by: 1_000_000) {
            estimate = try Int.fetchOne(db.cachedStatement(sql: "SELECT coalesce(sum(samples), 0) FROM block WHERE source = ? AND first >= ? AND first < ? AND last >= ?"),
                                        arguments: [source.id, from.subtractingSaturating(SampleBlock.maxSpanMicros), to, from])
        }
        let plan = HistoryPlan.choose(from: from, to: to, points: points, samples: estimate)
        switch plan {
        case .samples(let width):
            // Decoded once and bucketed by width as it is decoded (on two threads when there
            // are several blocks); a range of at most `points` samples is then bucketed
            // again from the decoded blocks, one sample each (exact): it holds few samples.
            let raw = try rawBlocks(db, source: source.id, from: from, to: to, positions: positions)
            let lattice = HistoryBuckets.Lattice.covering(from: from, to: to.subtractingSaturating(1), width: width, origin: from, limit: latticeLimit)
            let count = chosen.count
            var halves = try TwoHalves.run(raw.count) { half in
                var part = HistoryBuckets(channelCount: count, lattice: lattice)
                var key = HistoryBuckets.SampleKey.width(width, origin: from)
                var decoded: [(SampleBlock, [Int?])] = []
                for (data, slots) in raw[half] {
                    let block = try SampleBlock(decoding: data, before: to, columns: slots.map { $0 != nil })
                    part.add(block: block, from: from, to: to, slots: slots, key: &key)
                    decoded.append((block, slots))
                }
                return (part, decoded)
            }
            let decoded = halves.flatMap(\.1)
            buckets = halves.removeFirst().0  // moved out, not shared: merging into it copies nothing
            for (part, _) in halves { buckets.merge(part) }
            exact = buckets.sampleCount <= Int64(points)
            if exact {
                var key = HistoryBuckets.SampleKey.ordinal(next: 0)
                prepare(HistoryBuckets.Lattice(origin: 0, width: 1, count: Int(buckets.sampleCount)))
                for (block, slots) in decoded {
                    buckets.add(block: block, from: from, to: to, slots: slots, key: &key)
                }
            }
        case .cells(let width, let level):
            prepare(.covering(from: from, to: to, width: width, limit: latticeLimit))
            let firstWhole = HistoryPlan.bucketStart(from.addingSaturating(width - 1), width: width)
            let lastWhole = HistoryPlan.bucketStart(to, width: width)
            if firstWhole < lastWhole {
                try addCells(level: level, start: firstWhole, end: lastWhole) { HistoryPlan.bucketStart($0, width: width) }
            }
            let edges = firstWhole < lastWhole ? [(from, firstWhole), (lastWhole, to)] : [(from, to)]
            for (a, b) in edges where a < b {
                let key = HistoryPlan.bucketStart(a, width: width)
                for piece in HistoryPlan.pieces(from: a, to: b, maxLevel: level) {
                    switch piece {
                    case .cells(let pieceLevel, let start, let end):
                        try addCells(level: pieceLevel, start: start, end: end) { _ in key }
                    case .samples(let pa, let pb):
                        try addSamples(pa, pb, key: .fixed(key))
                    }
                }
            }
        case .fine(let width):
            prepare(.covering(from: from, to: to, width: width, limit: latticeLimit))
            // Each second whole in range from its level-0 cells when they add up to it; the
            // others (sparse seconds, the ragged ends) from their samples.
            let first = SummaryLevel.cellStart(from, level: 1)
            var seconds: [(start: Int64, samples: Int64)] = []
            try forEachCell(db, sql: "SELECT start, data FROM summary WHERE source = ? AND level = 1 AND start >= ? AND start < ? ORDER BY start",
                            arguments: [source.id, first, to]) { start, bytes in
                seconds.append((start, try SummaryCell.samples(of: bytes)))
            }
            var whole: [Int64: Int64] = [:]  // second → its count, for the seconds wholly in range
            for (second, samples) in seconds {
                let secondEnd = second.addingSaturating(1_000_000)  // read from the file: may be anything
                if max(from, second) == second, min(to, secondEnd) == secondEnd { whole[second] = samples }
            }
            // The level-0 cells in start order, copied out in one pass (bytes, starts, counts),
            // then taken a second at a time where their counts add up to the second's.
            var starts: [Int64] = [], ends: [Int] = [], counts: [Int64] = [], bytes: [UInt8] = []
            try forEachCell(db, sql: "SELECT start, data FROM summary WHERE source = ? AND level = 0 AND start >= ? AND start < ? ORDER BY start",
                            arguments: [source.id, first, to]) { start, cell in
                starts.append(start)
                counts.append(try SummaryCell.samples(of: cell))
                bytes.append(contentsOf: cell)
                ends.append(bytes.count)
            }
            var taken = Set<Int64>()
            try bytes.withUnsafeBytes { all in
                var i = 0
                while i < starts.count {
                    let second = SummaryLevel.cellStart(starts[i], level: 1)
                    var end = i, samples: Int64 = 0
                    while end < starts.count, SummaryLevel.cellStart(starts[end], level: 1) == second {
                        samples = samples.addingSaturating(counts[end])
                        end += 1
                    }
                    if let wanted = whole[second], wanted == samples {
                        for k in i..<end {
                            let cell = UnsafeRawBufferPointer(rebasing: all[(k == 0 ? 0 : ends[k - 1])..<ends[k]])
                            try buckets.add(key: HistoryPlan.bucketStart(starts[k], width: width), encodedCell: cell, start: starts[k])
                        }
                        taken.insert(second)
                    }
                    i = end
                }
            }
            var raw: [(Int64, Int64)] = []
            for (second, _) in seconds {
                let secondEnd = second.addingSaturating(1_000_000)
                let a = max(from, second), b = min(to, secondEnd)
                if taken.contains(second) {
                } else if let last = raw.last, last.1 == a {
                    raw[raw.count - 1].1 = b
                } else {
                    raw.append((a, b))
                }
            }
            for (a, b) in raw {
                try addSamples(a, b, key: .width(width, origin: 0))
            }
        }
        // Few samples after all (a range mostly in a gap): one bucket each, as promised.
        if !exact, buckets.sampleCount <= Int64(points) {
            prepare(HistoryBuckets.Lattice(origin: 0, width: 1, count: Int(max(0, buckets.sampleCount))))
            try addSamples(from, to, key: .ordinal(next: 0))
            exact = true
        }
        let events = try stateChanges(db, source: source.id, from: from, to: to, limit: 1000)
        return History(source: source.name, channels: chosen.map(\.name), columns: buckets.columns(), events: events, plan: plan, exact: exact)
    }

    /// Each row of `sql` (an integer, then a blob) handed to `body` as SQLite holds it: the
    /// blob's bytes valid only during the call. Stepped by hand, because a `Row` and a
    /// `Data` for each of thousands of small cells cost more than SQLite's own work.
    private func forEachCell(_ db: Database, sql: String, arguments: StatementArguments,
                             _ body: (Int64, UnsafeRawBufferPointer) throws -> Void) throws {
        let statement = try db.cachedStatement(sql: sql)
        try statement.setArguments(arguments)
        let handle = statement.sqliteStatement
        defer { sqlite3_reset(handle) }
        while true {
            let code = sqlite3_step(handle)
            if code == SQLITE_DONE { return }
            guard code == SQLITE_ROW else {
                throw DatabaseError(resultCode: ResultCode(rawValue: code), message: String(cString: sqlite3_errmsg(db.sqliteConnection)), sql: sql)
            }
            let start = sqlite3_column_int64(handle, 0)
            let count = Int(sqlite3_column_bytes(handle, 1))
            let bytes = count > 0 ? UnsafeRawBufferPointer(start: sqlite3_column_blob(handle, 1), count: count) : UnsafeRawBufferPointer(start: nil, count: 0)
            try body(start, bytes)
        }
    }

    /// The blocks of `source` that may hold samples in [from, to), decoded up to `to` (only
    /// the columns asked for), in the order they begin, each with its columns' positions
    /// (`positions`: channel number → position).
    func blocks(_ db: Database, source: Int, from: Int64, to: Int64, positions: [Int: Int]) throws -> [(SampleBlock, [Int?])] {
        try rawBlocks(db, source: source, from: from, to: to, positions: positions).map {
            (try SampleBlock(decoding: $0.data, before: to, columns: $0.slots.map { $0 != nil }), $0.slots)
        }
    }

    /// The same, still encoded (decoding is the caller's, maybe on several threads).
    func rawBlocks(_ db: Database, source: Int, from: Int64, to: Int64, positions: [Int: Int]) throws -> [(data: [UInt8], slots: [Int?])] {
        let rows = try Row.fetchCursor(db.cachedStatement(sql: "SELECT channels, data FROM block WHERE source = ? AND first >= ? AND first < ? AND last >= ? ORDER BY first, id"),
                                       arguments: [source, from.subtractingSaturating(SampleBlock.maxSpanMicros), to, from])
        var out: [(data: [UInt8], slots: [Int?])] = []
        while let row = try rows.next() {
            let ids: String = row[0]
            let slots = ids.split(separator: ",").map { Int($0).flatMap { positions[$0] } }
            guard let data = try row.withUnsafeData(atIndex: 1, { data in data.map { [UInt8]($0) } }) else { continue }
            out.append((data, slots))
        }
        return out
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
        try pool.read { db in try stateChanges(db, source: source, from: from, to: to, limit: limit) }
    }

    private func stateChanges(_ db: Database, source: Int, from: Int64, to: Int64, limit: Int) throws -> [StateChange] {
        try Row.fetchAll(db.cachedStatement(sql: "SELECT time, state, detail FROM event WHERE source = ? AND time >= ? AND time < ? ORDER BY time LIMIT ?"),
                         arguments: [source, from, to, limit]).map { StateChange(time: $0[0], state: $0[1], detail: $0[2]) }
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
