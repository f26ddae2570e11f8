import Logging
import SensorBridgeCore
import Synchronization

/// Plays a log at the log's own timing scaled by `speed` (0: as fast as possible), once or
/// in a loop, streaming the file rather than loading it. Deadlines are absolute on the
/// monotonic clock, so timing errors do not add up over a long replay. Unreadable lines
/// are skipped with a warning and counted.
public final class ReplaySource: ByteSource {
    private let file: ReplayFile
    private let speed: Double
    private let loop: Bool
    private let logger: Logger
    private let thread = SourceThread()
    /// Skipped lines shown one by one before only counting them.
    private static let skippedLinesShown = 5
    /// A wait longer than this is said in the log: a replay that seems stuck is waiting for a line timed far ahead.
    static let longWaitMicros: Int64 = 60_000_000
    /// Due lines gathered into one ingest up to about this many bytes: enough that a read's
    /// fixed costs vanish (a thousand lines of a 6-channel sketch), few enough that the ring's
    /// lock is held for a fraction of a millisecond. (A ring made smaller than a block's
    /// lines, `--buffer 16`, loses samples at `--speed 0` as it did line by line.)
    static let batchBytes = 16 * 1024

    public init(file: ReplayFile, speed: Double, loop: Bool, logger: Logger) {
        self.file = file
        self.speed = speed
        self.loop = loop
        self.logger = logger
    }

    /// Says now, before anything is served, when the file has nothing to replay.
    public func start(into sink: any ByteSink) throws {
        let kind = try file.firstUsableLine()
        thread.start(name: "replay") { [self] in run(kind: kind, sink: sink) }
    }

    public func stop() { thread.stop() }

    private func run(kind: ReplayReader.Kind, sink: any ByteSink) {
        let path = file.path
        sink.sourceChanged(.connected, detail: "replaying \(path) (\(kind.rawValue))")
        var playing = Playing(timeline: ReplayTimeline(speed: speed), start: WallClock.monotonicMicros(),
                              sink: sink, thread: thread, logger: logger, path: path)
        var skipped = 0
        var round = 0
        repeat {
            do {
                try file.stream(until: { thread.isStopping },
                                onLine: { offset, line in playing.take(offset, line, newline: true) },
                                afterBlock: { playing.deliver() }) { event in
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
                        playing.take(chunk.offsetMicros, chunk.bytes[...], newline: false)
                    }
                }
            } catch {
                playing.deliver()
                logger.error("replay stopped: \(error)")
                sink.sourceChanged(.finished, detail: "replay of \(path) stopped: \(error)")
                return
            }
            playing.deliver()
            if playing.timeline.linesThisRound == 0 { break }  // the file lost its lines since it was checked
            playing.timeline.endRound()
            round += 1
        } while loop && !thread.isStopping
        let delivered = playing.delivered
        if thread.isStopping {
            // Stopped by the bridge (SIGTERM, Ctrl-C), not finished: say so, as a serial source does.
            sink.sourceChanged(.stopped, detail: "replay of \(path) stopped after \(delivered) lines")
            return
        }
        let skippedNote = skipped > 0 ? "; skipped \(skipped) unreadable line\(skipped == 1 ? "" : "s")" : ""
        // How long it took (to the ms: what a benchmark of a replay at full speed reads).
        let millis = WallClock.monotonicMicros().subtractingSaturating(playing.start) / 1000
        let fraction = String(millis % 1000)
        let took = "\(millis / 1000).\(String(repeating: "0", count: 3 - fraction.count))\(fraction) s"
        logger.info("replay of \(path) finished: \(delivered) lines in \(took)\(skippedNote); still serving (Ctrl-C to stop)")
        sink.sourceChanged(.finished, detail: "replay of \(path) finished after \(delivered) lines\(skippedNote)")
    }

    /// A replay under way: waits for each line's time, and hands the lines that are due to
    /// the sink together, as one read of a serial port brings several: at `--speed 0` a
    /// block of the file is one ingest, not thousands. One value the reading closures
    /// share, so a line costs no check of several captured variables.
    private struct Playing {
        var timeline: ReplayTimeline
        /// The monotonic clock at the replay's start: the time line's zero.
        let start: Int64
        let sink: any ByteSink
        let thread: SourceThread
        let logger: Logger
        let path: String
        var batch: [UInt8] = []
        var delivered = 0
        var toldOfLongWait = false

        init(timeline: ReplayTimeline, start: Int64, sink: any ByteSink, thread: SourceThread, logger: Logger, path: String) {
            self.timeline = timeline
            self.start = start
            self.sink = sink
            self.thread = thread
            self.logger = logger
            self.path = path
            batch.reserveCapacity(ReplaySource.batchBytes + ReplayReader.maxLineBytes + 1)
        }

        /// One line, `offset` into the file (with `newline`: its bytes lack their `\n`).
        mutating func take(_ offset: Int64, _ bytes: ArraySlice<UInt8>, newline: Bool) {
            if let due = timeline.due(offset: offset) {
                let deadline = start.addingSaturating(due)
                let wait = deadline.subtractingSaturating(WallClock.monotonicMicros())
                if wait > 0 {
                    // What is due goes now, not after the wait.
                    deliver()
                    if wait > ReplaySource.longWaitMicros, !toldOfLongWait {
                        toldOfLongWait = true
                        logger.notice("\(path): the next line is timed \(wait / 1_000_000) s later; waiting for it (--speed 0 replays without waiting)")
                    }
                    thread.sleep(untilMonotonicMicros: deadline)
                }
            }
            if thread.isStopping { return }
            batch.append(contentsOf: bytes)
            if newline { batch.append(UInt8(ascii: "\n")) }
            delivered += 1
            if batch.count >= ReplaySource.batchBytes { deliver() }
        }

        /// Hands on what is gathered, stamped now.
        mutating func deliver() {
            guard !batch.isEmpty else { return }
            sink.ingest(batch[...], receivedMicros: WallClock.nowMicros())
            batch.removeAll(keepingCapacity: true)
        }
    }
}
