import Foundation
import Logging
import SensorBridgeCore
import SensorBridgeServer

/// Plays a log into the pipeline on a thread of its own, at the log's own timing scaled by
/// `speed` (0: as fast as possible), once or in a loop. Deadlines are absolute on the
/// monotonic clock, so timing errors do not add up over a long replay.
final class ReplaySource: @unchecked Sendable {
    private let log: ReplayLog
    private let path: String
    private let speed: Double
    private let loop: Bool
    private let pipeline: IngestPipeline
    private let hub: SampleHub
    private let logger: Logger
    private let stopFlag = NSLock()
    private var stopping = false
    private let finished = DispatchSemaphore(value: 0)
    private var started = false

    init(log: ReplayLog, path: String, speed: Double, loop: Bool, pipeline: IngestPipeline, hub: SampleHub, logger: Logger) {
        self.log = log
        self.path = path
        self.speed = speed
        self.loop = loop
        self.pipeline = pipeline
        self.hub = hub
        self.logger = logger
    }

    func start() {
        started = true
        let thread = Thread { [self] in
            self.run()
            self.finished.signal()
        }
        thread.name = "replay"
        thread.start()
    }

    func stop() {
        stopFlag.withLock { stopping = true }
        if started { finished.wait() }
        started = false
    }

    private var isStopping: Bool { stopFlag.withLock { stopping } }

    private func run() {
        hub.updateSource(state: .connected, detail: "replaying \(path) (\(log.kind.rawValue), \(log.chunks.count) lines)")
        // A loop restarts one line interval after the last line, not on top of it.
        let lineInterval = log.chunks.count > 1 ? log.durationMicros / Int64(log.chunks.count - 1) : 20_000
        let startOffset = log.chunks.first?.offsetMicros ?? 0
        let start = WallClock.monotonicMicros()
        var round: Int64 = 0
        repeat {
            let roundBase = round * (log.durationMicros + lineInterval)
            for chunk in log.chunks {
                if isStopping { return }
                if speed > 0 {
                    let due = start + Int64(Double(roundBase + chunk.offsetMicros - startOffset) / speed)
                    // Sleep in short steps so a stop request is noticed quickly.
                    while !isStopping, WallClock.monotonicMicros() < due {
                        WallClock.sleep(untilMonotonicMicros: min(due, WallClock.monotonicMicros() + 100_000))
                    }
                }
                pipeline.ingest(chunk.bytes, receivedMicros: WallClock.nowMicros())
            }
            round += 1
        } while loop && !isStopping && !log.chunks.isEmpty
        let samples = hub.statistics.snapshot.samples
        logger.info("replay of \(path) finished: \(samples) samples; still serving (Ctrl-C to stop)")
        hub.updateSource(state: .finished, detail: "replay of \(path) finished after \(samples) samples")
    }
}
