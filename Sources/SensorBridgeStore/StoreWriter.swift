import Foundation
import Logging
import SensorBridgeCore
import SensorBridgeStream
import Synchronization

/// The store as one more subscriber of the stream: a cursor and a thread of its own (like
/// the MQTT publisher), so the serial reader never waits for the disk. Twice a second it
/// commits what arrived (a SIGKILL loses at most that); a failed commit (a full or
/// read-only disk) pauses it, says so, and it retries every second from the same place
/// while the stream's memory still holds it. What the stream dropped before the store read
/// it is counted as lost, and marked in the store as a gap.
public final class StoreWriter: Sendable {
    public struct Settings: Sendable {
        public var sourceName: String
        /// Samples older than this are dropped (`--keep`).
        public var keepMicros: Int64 = 7 * 86_400 * 1_000_000
        /// Summaries of a minute and coarser are kept this long (10 × `--keep`).
        public var keepSummariesMicros: Int64 = 70 * 86_400 * 1_000_000
        /// The most the file may hold (`--keep-size`); nil: no bound.
        public var maxBytes: Int64?
        public var flushMicros: Int64 = 500_000
        /// Times are stored to this many µs (`StoreBatchBuilder.timeUnitMicros`; 1 with
        /// `--store-micros`).
        public var timeUnitMicros: Int64 = 1_000
        public var retentionEveryMicros: Int64 = 60_000_000

        public init(sourceName: String) { self.sourceName = sourceName }
    }

    private struct Counters {
        var stored: UInt64 = 0
        var lost: UInt64 = 0
        var state = "writing"
        var detail = ""
        var bytes: Int64 = 0
        var sessions = 0
    }

    public let store: HistoryStore
    private let stream: SensorStream
    private let settings: Settings
    private let logger: Logger
    private let thread = SourceThread()
    private let counters = Mutex(Counters())
    private let sourceID: Int
    private let sessionID: Int
    private let initialBuilder: StoreBatchBuilder

    /// Opens this run's session. Throws a sentence when the store cannot be written at all.
    public init(store: HistoryStore, stream: SensorStream, settings: Settings, logger: Logger) throws(StoreError) {
        self.store = store
        self.stream = stream
        self.settings = settings
        self.logger = logger
        do {
            sourceID = try store.sourceID(named: settings.sourceName)
            let channels = try store.channelIDs(source: sourceID)
            var builder = StoreBatchBuilder(channelIDs: channels.ids, nextChannelID: channels.next)
            builder.timeUnitMicros = settings.timeUnitMicros
            initialBuilder = builder
            sessionID = try store.startSession(source: sourceID, now: WallClock.nowMicros())
            let sessions = try store.sessions().count
            let bytes = try store.usedBytes()
            counters.withLock { $0.sessions = sessions; $0.bytes = bytes }
        } catch let error as StoreError {
            throw error
        } catch {
            throw StoreError("cannot write the store \(store.path): \(HistoryStore.describe(error))")
        }
    }

    public func start() {
        let start = stream.start(historyMicros: 0).event
        thread.start(name: "store") { [self] in run(cursor: start) }
    }

    /// Writes what is left, closes the session and checkpoints the file.
    public func stop() {
        thread.stop()
    }

    public var report: StoreReport {
        counters.withLock { c in
            StoreReport(state: c.state, detail: c.detail, file: store.path, samplesStored: c.stored, samplesLost: c.lost,
                        bytes: c.bytes, sessions: c.sessions)
        }
    }

    private func run(cursor start: UInt64) {
        var cursor = start
        var builder = initialBuilder
        var nextRetention = WallClock.monotonicMicros() + 5_000_000
        var paused = false
        var lastTime: Int64?
        var expectedSample: UInt64? = stream.read(from: cursor, limit: 1).elements.first?.sampleSequence
        func flush() -> Bool {
            let batchRead = stream.read(from: cursor)
            var next = builder
            var lost: UInt64 = 0
            if batchRead.missed > 0 {
                // Events the stream no longer holds: count the samples among them by numbers.
                let firstHeld = batchRead.elements.first?.sampleSequence
                lost = firstHeld.map { $0.subtractingSaturating(expectedSample ?? $0) } ?? 0
                next.add(event: batchRead.elements.first?.timeMicros ?? WallClock.nowMicros(), state: "skipped",
                         detail: "the store fell behind: \(lost == 0 ? "some" : String(lost)) samples were not stored")
            }
            for event in batchRead.elements {
                switch event.kind {
                case .sample(let sample): next.add(sample)
                case .source(let state, let detail): next.add(event: event.timeMicros, state: state.rawValue, detail: detail)
                case .lost:
                    break  // stored from the sample it comes before (`StoreBatchBuilder.add`), as an import stores it
                }
            }
            let batch = next.take()
            do {
                if !batch.isEmpty || lastTime == nil {
                    try store.commit(batch, source: sourceID, session: sessionID, sessionEnd: batch.lastTime ?? WallClock.nowMicros())
                }
            } catch {
                let reason = HistoryStore.describe(error)
                if !paused { logger.warning("the store \(store.path) is paused: \(reason); streaming goes on, and writing resumes by itself") }
                paused = true
                counters.withLock { $0.state = "paused"; $0.detail = reason }
                return false
            }
            if paused { logger.notice("the store \(store.path) is writing again") }
            paused = false
            builder = next
            cursor = batchRead.next
            if let last = batchRead.elements.last { expectedSample = last.sampleSequence + (last.sample == nil ? 0 : 1) }
            lastTime = batch.lastTime ?? lastTime ?? WallClock.nowMicros()
            counters.withLock {
                $0.stored += UInt64(batch.samples)
                $0.lost += lost
                $0.state = "writing"
                $0.detail = ""
            }
            return true
        }
        while !thread.isStopping {
            let began = WallClock.monotonicMicros()
            _ = flush()
            if !paused, began >= nextRetention {
                nextRetention = began + settings.retentionEveryMicros
                retain()
            }
            let wait = paused ? 1_000_000 : settings.flushMicros
            // At least 50 ms even when a flush took longer than the wait (a busy database):
            // retries never run back to back.
            thread.sleep(untilMonotonicMicros: max(began.addingSaturating(wait), WallClock.monotonicMicros() + 50_000))
        }
        _ = flush()
        do {
            try store.endSession(sessionID, at: lastTime)
        } catch {
            logger.warning("the store \(store.path) could not close this session: \(HistoryStore.describe(error))")
        }
        store.checkpoint()
        counters.withLock { $0.state = "stopped" }
    }

    private func retain() {
        do {
            let dropped = try store.retain(keepMicros: settings.keepMicros, keepSummariesMicros: settings.keepSummariesMicros,
                                           maxBytes: settings.maxBytes, now: WallClock.nowMicros())
            if dropped > 0 { logger.info("the store dropped \(dropped) old samples (--keep / --keep-size)") }
            let bytes = try store.usedBytes()
            let sessions = try store.sessions().count
            counters.withLock { $0.bytes = bytes; $0.sessions = sessions }
        } catch {
            logger.warning("the store \(store.path) could not drop old samples: \(HistoryStore.describe(error))")
        }
    }
}
