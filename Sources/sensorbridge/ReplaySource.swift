import Foundation
import Logging
import SensorBridgeCore
import SensorBridgeServer
import Synchronization

/// Plays a log into the pipeline on a thread of its own, at the log's own timing scaled by
/// `speed` (0: as fast as possible), once or in a loop, streaming the file rather than
/// loading it. Deadlines are absolute on the monotonic clock, so timing errors do not add
/// up over a long replay. Unreadable lines are skipped with a warning and counted.
final class ReplaySource: Sendable {
    private let file: ReplayFile
    private let kind: ReplayReader.Kind
    private let speed: Double
    private let loop: Bool
    private let pipeline: IngestPipeline
    private let hub: SampleHub
    private let logger: Logger
    private let stopping = Atomic<Bool>(false)
    private let running = Atomic<Bool>(false)
    private let finished = DispatchSemaphore(value: 0)
    /// Skipped lines shown one by one before only counting them.
    private static let skippedLinesShown = 5

    init(file: ReplayFile, kind: ReplayReader.Kind, speed: Double, loop: Bool, pipeline: IngestPipeline, hub: SampleHub, logger: Logger) {
        self.file = file
        self.kind = kind
        self.speed = speed
        self.loop = loop
        self.pipeline = pipeline
        self.hub = hub
        self.logger = logger
    }

    func start() {
        running.store(true, ordering: .releasing)
        let thread = Thread { [self] in
            self.run()
            self.finished.signal()
        }
        thread.name = "replay"
        thread.start()
    }

    func stop() {
        stopping.store(true, ordering: .releasing)
        if running.exchange(false, ordering: .acquiringAndReleasing) { finished.wait() }
    }

    private var isStopping: Bool { stopping.load(ordering: .acquiring) }

    private func run() {
        let path = file.path
        hub.updateSource(state: .connected, detail: "replaying \(path) (\(kind.rawValue))")
        let start = WallClock.monotonicMicros()
        // Where the current round starts on the replay's time line, and the first round's
        // shape (for the pause between rounds: one line interval).
        var roundBase: Int64 = 0
        var skipped = 0
        var round = 0
        repeat {
            var firstOffset: Int64?
            var lastOffset: Int64 = 0
            var lines = 0
            do {
                try file.stream(until: { isStopping }) { event in
                    switch event {
                    case .skipped(let line, let reason):
                        guard round == 0 else { return }
                        skipped += 1
                        if skipped <= Self.skippedLinesShown {
                            logger.warning("\(path) line \(line) skipped: \(reason)")
                        } else if skipped == Self.skippedLinesShown + 1 {
                            logger.warning("more unreadable lines in \(path); counting them without showing each")
                        }
                    case .chunk(let chunk):
                        let first = firstOffset ?? chunk.offsetMicros
                        firstOffset = first
                        lastOffset = max(lastOffset, chunk.offsetMicros)
                        lines += 1
                        if speed > 0 { waitUntil(start + Int64(Double(roundBase + chunk.offsetMicros - first) / speed)) }
                        if isStopping { return }
                        pipeline.ingest(chunk.bytes, receivedMicros: WallClock.nowMicros())
                    }
                }
            } catch {
                logger.error("replay stopped: \(error)")
                hub.updateSource(state: .finished, detail: "replay of \(path) stopped: \(error)")
                return
            }
            if lines == 0 { break }  // the file lost its lines since it was checked
            let duration = lastOffset - (firstOffset ?? 0)
            let lineInterval = lines > 1 ? duration / Int64(lines - 1) : 20_000
            roundBase += duration + lineInterval
            round += 1
        } while loop && !isStopping
        if isStopping { return }
        let samples = hub.statistics.snapshot.samples
        let skippedNote = skipped > 0 ? "; skipped \(skipped) unreadable line\(skipped == 1 ? "" : "s")" : ""
        logger.info("replay of \(path) finished: \(samples) samples\(skippedNote); still serving (Ctrl-C to stop)")
        hub.updateSource(state: .finished, detail: "replay of \(path) finished after \(samples) samples\(skippedNote)")
    }

    /// Sleeps in short steps so a stop request is noticed quickly.
    private func waitUntil(_ due: Int64) {
        while !isStopping, WallClock.monotonicMicros() < due {
            WallClock.sleep(untilMonotonicMicros: min(due, WallClock.monotonicMicros() + 100_000))
        }
    }
}
