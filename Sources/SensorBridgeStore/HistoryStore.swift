import Foundation
import GRDB
import SensorBridgeCore

/// The history store: one SQLite file (WAL) holding sources, sessions, compressed sample
/// blocks, summary cells and state changes. Writes come from one writer at a time (a live
/// bridge's `StoreWriter`, or `import`), guarded by `StoreFile.Lock`; reads (the history
/// API, export) run beside them on WAL snapshots.
public final class HistoryStore: Sendable {
    public let path: String
    let pool: DatabasePool
    private let lock: StoreFile.Lock?

    /// Opens (or creates) the store at `path`. A file that is not a sensorbridge store, or
    /// one another bridge holds, is refused with a sentence.
    /// - Parameter readOnly: serve what is there (`--archive`, `export`): no lock, no writes;
    ///   but a store of a schema older than `StoreFile.oldestReadAsItIs` is first brought up
    ///   to date, once, under the lock (a newer one of those is read as it is).
    public init(path: String, readOnly: Bool = false) throws(StoreError) {
        self.path = path
        if let refusal = StoreFile.refusal(path: path) { throw StoreError(refusal) }
        if readOnly {
            var info = stat()
            guard stat(path, &info) == 0, info.st_size > 0 else { throw StoreError("there is no store at \(path)") }
            if let version = HistoryStore.schemaVersion(readingOnly: path), version < StoreFile.oldestReadAsItIs {
                // An older store is brought up to date once, which needs the writer's lock.
                do {
                    _ = try HistoryStore(path: path, readOnly: false)
                } catch {
                    throw StoreError("\(path) was written by an older sensorbridge (store schema \(version)) and is brought up to date once, by the first sensorbridge of this version to open it, which failed: \(error.description)")
                }
            }
            lock = nil
        } else {
            let folder = (path as NSString).deletingLastPathComponent
            if !folder.isEmpty, !FileManager.default.fileExists(atPath: folder) {
                do {
                    try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
                } catch {
                    throw StoreError("cannot make the folder \(folder) for the store: \(error.localizedDescription)")
                }
            }
            lock = try StoreFile.Lock(path: path)
        }
        var configuration = Configuration()
        configuration.readonly = readOnly
        configuration.busyMode = .timeout(5)
        configuration.label = "store"
        configuration.maximumReaderCount = 4
        configuration.prepareDatabase { db in
            db.add(function: HistoryStore.mergeCells)
            if !readOnly { try db.execute(sql: "PRAGMA synchronous = NORMAL") }
        }
        do {
            pool = try DatabasePool(path: path, configuration: configuration)
            if !readOnly { try HistoryStore.createSchemaIfNew(pool) }
        } catch {
            throw StoreError("cannot open the store \(path): \(HistoryStore.describe(error))")
        }
    }

    /// The schema a store says it has, read through SQLite (the file's header lags while its
    /// WAL holds the change); nil when it cannot be read.
    private static func schemaVersion(readingOnly path: String) -> Int32? {
        var configuration = Configuration()
        configuration.readonly = true
        guard let queue = try? DatabaseQueue(path: path, configuration: configuration) else { return nil }
        return try? queue.read { try Int32.fetchOne($0, sql: "PRAGMA user_version") }
    }

    private static func createSchemaIfNew(_ pool: DatabasePool) throws {
        try pool.writeWithoutTransaction { db in
            let version = try Int32.fetchOne(db, sql: "PRAGMA user_version") ?? 0
            let tables = try Int.fetchOne(db, sql: "SELECT count(*) FROM sqlite_master") ?? 0
            if version == 1 {
                try upgradeFromSchema1(db)
                try db.execute(sql: "PRAGMA wal_checkpoint(TRUNCATE)")  // the header says the new schema from now on
            } else if version >= StoreFile.oldestReadAsItIs, version < StoreFile.schemaVersion {
                // Its blocks read as they are; blocks written from now on are of the new
                // version, which the older bridge could not read: the file says so.
                try db.execute(sql: "PRAGMA user_version = \(StoreFile.schemaVersion)")
                try db.execute(sql: "PRAGMA wal_checkpoint(TRUNCATE)")
            }
            guard version == 0, tables == 0 else { return }
            try db.execute(sql: "PRAGMA auto_vacuum = INCREMENTAL")
            try db.execute(sql: "VACUUM")  // makes auto_vacuum take effect on this (empty) file
            try db.inTransaction {
                for statement in StoreSchema.statements { try db.execute(sql: statement) }
                try db.execute(sql: "PRAGMA application_id = \(StoreFile.applicationID)")
                try db.execute(sql: "PRAGMA user_version = \(StoreFile.schemaVersion)")
                return .commit
            }
            // Into the main file now, so the header says what this file is.
            try db.execute(sql: "PRAGMA wal_checkpoint(TRUNCATE)")
        }
    }

    /// Schema 1 kept 100 ms cells at level 0 and cells with absolute times: its level-0
    /// cells go (a query reads those seconds from their samples) and every other cell is
    /// written anew, in one transaction. Its blocks read as they are.
    ///
    /// Old dense seconds then have no 250 ms cells: 250 and 500 ms buckets over them are read
    /// from their samples (exact, slower). Rebuilding the cells would mean decoding every
    /// block of the file at the first open.
    private static func upgradeFromSchema1(_ db: Database) throws {
        try db.inTransaction {
            try db.execute(sql: "DELETE FROM summary WHERE level = 0")
            let page = try db.makeStatement(sql: "SELECT source, level, start, data FROM summary WHERE (source, level, start) > (?, ?, ?) ORDER BY source, level, start LIMIT 10000")
            let update = try db.makeStatement(sql: "UPDATE summary SET data = ? WHERE source = ? AND level = ? AND start = ?")
            let delete = try db.makeStatement(sql: "DELETE FROM summary WHERE source = ? AND level = ? AND start = ?")
            // A page at a time (a week of 1 s cells is 600 000 rows), keyed by the file's own
            // values, so a row whose key is not an integer is still found and removed.
            var after: [DatabaseValue] = [Int64.min.databaseValue, Int64.min.databaseValue, Int64.min.databaseValue]
            while true {
                let rows = try Row.fetchAll(page, arguments: StatementArguments(after))
                guard let last = rows.last else { break }
                for row in rows {
                    let key: [DatabaseValue] = [row[0], row[1], row[2]]
                    let data: DatabaseValue = row[3]
                    if let start = Int64.fromDatabaseValue(key[2]), let bytes = Data.fromDatabaseValue(data),
                       let cell = try? SummaryCell(decodingVersion1: [UInt8](bytes)) {
                        try update.execute(arguments: StatementArguments([Data(cell.encoded(start: start)).databaseValue] + key))
                    } else {
                        try delete.execute(arguments: StatementArguments(key))  // damaged already: a misread would be worse
                    }
                }
                after = [last[0], last[1], last[2]]
            }
            try db.execute(sql: "PRAGMA user_version = \(StoreFile.schemaVersion)")
            return .commit
        }
    }

    /// `sb_merge_cell(old, new, start)`: a summary cell merged into the one the store has,
    /// in SQL, so a write adds to a cell another session began (a restart within the hour).
    static let mergeCells = DatabaseFunction("sb_merge_cell", argumentCount: 3, pure: true) { values in
        guard let newer = Data.fromDatabaseValue(values[1]) else { return nil }
        guard let start = Int64.fromDatabaseValue(values[2]) else { return newer }
        guard let older = Data.fromDatabaseValue(values[0]), var cell = try? SummaryCell(decoding: [UInt8](older), start: start) else {
            return newer
        }
        guard let added = try? SummaryCell(decoding: [UInt8](newer), start: start) else { return older }
        cell.merge(added)
        return Data(cell.encoded(start: start))
    }

    /// A sentence for an SQLite failure.
    public static func describe(_ error: any Error) -> String {
        guard let error = error as? DatabaseError else { return "\(error)" }
        switch error.resultCode {
        case .SQLITE_FULL: return "the disk is full"
        case .SQLITE_READONLY: return "the file or its folder is read-only"
        case .SQLITE_CORRUPT, .SQLITE_NOTADB: return "the file is damaged (\(error.message ?? "corrupt"))"
        case .SQLITE_IOERR: return "the disk failed to write (\(error.message ?? "I/O error"))"
        case .SQLITE_CANTOPEN: return "it cannot be opened (\(error.message ?? "no access"))"
        case .SQLITE_BUSY, .SQLITE_LOCKED: return "it is busy"
        default: return error.message ?? "\(error)"
        }
    }

    // MARK: - Sources and sessions

    /// The number of the source called `name`, made when new.
    public func sourceID(named name: String) throws -> Int {
        try pool.write { db in
            if let id = try Int.fetchOne(db, sql: "SELECT id FROM source WHERE name = ?", arguments: [name]) { return id }
            try db.execute(sql: "INSERT INTO source(name) VALUES (?)", arguments: [name])
            return Int(db.lastInsertedRowID)
        }
    }

    /// The channel numbers the store gave `source`'s names, and the next free number.
    public func channelIDs(source: Int) throws -> (ids: [String: Int], next: Int) {
        try pool.read { db in
            var ids: [String: Int] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT id, name FROM channel WHERE source = ?", arguments: [source]) {
                ids[row[1]] = row[0]
            }
            let next = (try Int.fetchOne(db, sql: "SELECT max(id) FROM channel") ?? 0) + 1
            return (ids, next)
        }
    }

    /// Closes sessions a killed bridge left open, then opens one starting `now`.
    public func startSession(source: Int, now: Int64, kind: String = "live") throws -> Int {
        try pool.write { db in
            try db.execute(sql: "UPDATE session SET open = 0 WHERE source = ? AND open = 1", arguments: [source])
            try db.execute(sql: "INSERT INTO session(source, start, end, kind) VALUES (?, ?, ?, ?)", arguments: [source, now, now, kind])
            return Int(db.lastInsertedRowID)
        }
    }

    public func endSession(_ session: Int, at end: Int64?) throws {
        try pool.write { db in
            if let end {
                try db.execute(sql: "UPDATE session SET open = 0, end = max(end, ?) WHERE id = ?", arguments: [end, session])
            } else {
                try db.execute(sql: "UPDATE session SET open = 0 WHERE id = ?", arguments: [session])
            }
        }
    }

    // MARK: - Writing

    /// Adds `batch` to `source`/`session` in one transaction: all of it or nothing.
    public func commit(_ batch: StoreBatch, source: Int, session: Int, sessionEnd: Int64?) throws {
        try pool.write { db in
            for (id, name) in batch.newChannels {
                try db.execute(sql: "INSERT INTO channel(id, source, name) VALUES (?, ?, ?)", arguments: [id, source, name])
            }
            if !batch.blocks.isEmpty {
                let insert = try db.cachedStatement(sql: "INSERT INTO block(source, session, first, last, samples, channels, data) VALUES (?, ?, ?, ?, ?, ?, ?)")
                for block in batch.blocks {
                    try insert.execute(arguments: [source, session, block.first, block.last, block.samples,
                                                   block.channelIDs.map(String.init).joined(separator: ","), Data(block.data)])
                }
            }
            if !batch.cells.isEmpty {
                let upsert = try db.cachedStatement(sql: """
                    INSERT INTO summary(source, level, start, data) VALUES (?, ?, ?, ?)
                    ON CONFLICT(source, level, start) DO UPDATE SET data = sb_merge_cell(data, excluded.data, excluded.start)
                    """)
                for (level, start, cell) in batch.cells {
                    try upsert.execute(arguments: [source, level, start, Data(cell.encoded(start: start))])
                }
            }
            for event in batch.events {
                try db.execute(sql: "INSERT INTO event(source, session, time, state, detail) VALUES (?, ?, ?, ?, ?)",
                               arguments: [source, session, event.time, event.state, event.detail])
            }
            if batch.samples > 0 || sessionEnd != nil || !batch.channelNames.isEmpty {
                let known = try String.fetchOne(db, sql: "SELECT channels FROM session WHERE id = ?", arguments: [session]) ?? ""
                var names = known.isEmpty ? [] : known.split(separator: "\n").map(String.init)
                for name in batch.channelNames where !names.contains(name) { names.append(name) }
                try db.execute(
                    sql: "UPDATE session SET samples = samples + ?, end = max(end, ?), channels = ? WHERE id = ?",
                    arguments: [batch.samples, max(batch.lastTime ?? .min, sessionEnd ?? .min), names.joined(separator: "\n"), session])
            }
        }
    }

    // MARK: - Retention

    /// Drops samples (and the 250 ms, 1 s and 10 s cells) older than `keepMicros`, coarser cells
    /// older than `keepSummariesMicros`, then the oldest blocks while the file holds more
    /// than `maxBytes`. Returns the samples dropped.
    @discardableResult
    public func retain(keepMicros: Int64, keepSummariesMicros: Int64, maxBytes: Int64?, now: Int64) throws -> Int64 {
        let cutoff = now.subtractingSaturating(keepMicros)
        let summaryCutoff = now.subtractingSaturating(keepSummariesMicros)
        var dropped: Int64 = 0
        // Source by source and level by level, so every delete is a range of an index (run
        // every minute on a week of 1 kHz, a scan of the tables would take seconds).
        try pool.write { db in
            for source in try Int.fetchAll(db, sql: "SELECT id FROM source") {
                dropped += try Int64.fetchOne(db, sql: "SELECT coalesce(sum(samples), 0) FROM block WHERE source = ? AND first < ? AND last < ?",
                                              arguments: [source, cutoff, cutoff]) ?? 0
                try db.execute(sql: "DELETE FROM block WHERE source = ? AND first < ? AND last < ?", arguments: [source, cutoff, cutoff])
                for level in SummaryLevel.widthsMicros.indices {
                    try db.execute(sql: "DELETE FROM summary WHERE source = ? AND level = ? AND start < ?",
                                   arguments: [source, level, level <= 2 ? cutoff : summaryCutoff])
                }
                try db.execute(sql: "DELETE FROM event WHERE source = ? AND time < ?", arguments: [source, summaryCutoff])
            }
            try db.execute(sql: "DELETE FROM session WHERE open = 0 AND end < ?", arguments: [summaryCutoff])
        }
        guard let maxBytes else { return dropped }
        // Oldest first, a few thousand blocks at a time, until the used pages fit.
        while try usedBytes() > maxBytes {
            let removed: Int64 = try pool.write { db in
                // The source whose samples are oldest loses its oldest 2000 blocks.
                guard let oldest = try Row.fetchOne(db, sql: "SELECT source, min(first) AS oldest FROM block GROUP BY source ORDER BY oldest LIMIT 1"),
                      let source = oldest[0] as Int? else { return 0 }
                guard let edge = try Int64.fetchOne(db, sql: "SELECT first FROM block WHERE source = ? ORDER BY first LIMIT 1 OFFSET 2000", arguments: [source])
                    ?? Int64.fetchOne(db, sql: "SELECT max(first) FROM block WHERE source = ?", arguments: [source]) else { return 0 }
                let count = try Int64.fetchOne(db, sql: "SELECT coalesce(sum(samples), 0) FROM block WHERE source = ? AND first <= ?",
                                               arguments: [source, edge]) ?? 0
                try db.execute(sql: "DELETE FROM block WHERE source = ? AND first <= ?", arguments: [source, edge])
                for level in 0...2 {
                    try db.execute(sql: "DELETE FROM summary WHERE source = ? AND level = ? AND start <= ?", arguments: [source, level, edge])
                }
                return count
            }
            if removed == 0 { break }
            dropped += removed
        }
        try pool.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA incremental_vacuum") }
        return dropped
    }

    /// Bytes of the file in use (free pages not counted): what `--keep-size` bounds.
    public func usedBytes() throws -> Int64 {
        try pool.read { db in
            let pages = try Int64.fetchOne(db, sql: "PRAGMA page_count") ?? 0
            let free = try Int64.fetchOne(db, sql: "PRAGMA freelist_count") ?? 0
            let size = try Int64.fetchOne(db, sql: "PRAGMA page_size") ?? 4096
            return (pages - free) * size
        }
    }

    /// Writes the WAL into the main file (at a clean stop, so the file alone is the store).
    public func checkpoint() {
        _ = try? pool.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA wal_checkpoint(TRUNCATE)") }
    }
}
