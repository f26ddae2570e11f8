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
    /// A round of a loop takes at least this long: a file of lines timed microseconds apart
    /// would otherwise loop as fast as a core goes.
    private static let minRoundMicros: Int64 = 20_000
    /// A wait longer than this is said in the log: a replay that seems stuck is waiting for a line timed far ahead.
    private static let longWaitMicros: Int64 = 60_000_000

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
        let start = WallClock.monotonicMicros()
        // Where the current round starts on the replay's time line, and the first round's
        // shape (for the pause between rounds: one line interval).
        var roundBase: Int64 = 0
        var skipped = 0
        var round = 0
        var delivered = 0
        var toldOfLongWait = false
        repeat {
            var firstOffset: Int64?
            var lastOffset: Int64 = .min
            var lines = 0
            do {
                try file.stream(until: { thread.isStopping }) { event in
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
                        // A line timed before the one before it plays right after it.
                        lastOffset = max(lastOffset, chunk.offsetMicros)
                        lines += 1
                        if speed > 0 {
                            // A recording's times are outside numbers: any of them may be absurd.
                            let at = roundBase.addingSaturating(lastOffset.subtractingSaturating(first))
                            let deadline = start.addingSaturating(Int64(saturating: Double(at) / speed))
                            let wait = deadline.subtractingSaturating(WallClock.monotonicMicros())
                            if wait > Self.longWaitMicros, !toldOfLongWait {
                                toldOfLongWait = true
                                logger.notice("\(path): the next line is timed \(wait / 1_000_000) s later; waiting for it (--speed 0 replays without waiting)")
                            }
                            thread.sleep(untilMonotonicMicros: deadline)
                        }
                        if thread.isStopping { return }
                        sink.ingest(chunk.bytes[...], receivedMicros: WallClock.nowMicros())
                        delivered += 1
                    }
                }
            } catch {
                logger.error("replay stopped: \(error)")
                sink.sourceChanged(.finished, detail: "replay of \(path) stopped: \(error)")
                return
            }
            if lines == 0 { break }  // the file lost its lines since it was checked
            let duration = lastOffset.subtractingSaturating(firstOffset ?? 0)
            // The pause before the next round: one line's usual interval, or 20 ms when the
            // times say none (one line, or all timed alike).
            let lineInterval = lines > 1 && duration > 0 ? max(1, duration / Int64(lines - 1)) : 20_000
            roundBase = roundBase.addingSaturating(max(duration.addingSaturating(lineInterval), Self.minRoundMicros))
            round += 1
        } while loop && !thread.isStopping
        if thread.isStopping {
            // Stopped by the bridge (SIGTERM, Ctrl-C), not finished: say so, as a serial source does.
            sink.sourceChanged(.stopped, detail: "replay of \(path) stopped after \(delivered) lines")
            return
        }
        let skippedNote = skipped > 0 ? "; skipped \(skipped) unreadable line\(skipped == 1 ? "" : "s")" : ""
        logger.info("replay of \(path) finished: \(delivered) lines\(skippedNote); still serving (Ctrl-C to stop)")
        sink.sourceChanged(.finished, detail: "replay of \(path) finished after \(delivered) lines\(skippedNote)")
    }
}
