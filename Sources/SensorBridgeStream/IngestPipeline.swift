import Logging
import SensorBridgeCore
import Synchronization

/// The one path every source's bytes take: framer → parser → recorder → stream, with the
/// stream's counters kept on the way. The lock is only ever taken by the source's thread
/// (a type checked for sharing cannot know that), so it is never contended.
public final class IngestPipeline: ByteSink {
    private struct State {
        var decoder: SampleDecoder
        var rejectedLog: RejectedLineLog
    }
    private let state: Mutex<State>
    public let stream: SensorStream
    private let recorder: Recorder?
    /// The last lines as text, for the page's raw monitor.
    public let monitor: LineMonitor?
    private let logger: Logger

    /// - Parameter forgetSeriesAfterMicros: how long a label must go unseen before a new one may take its place.
    /// - Parameters:
    ///   - timeColumn: which column, if any, is the board's clock.
    ///   - counterColumn: which column, if any, numbers the sketch's lines.
    public init(stream: SensorStream, recorder: Recorder? = nil, monitor: LineMonitor? = nil,
                forgetSeriesAfterMicros: Int64 = LineParser.defaultForgetSeriesAfterMicros,
                timeColumn: BoardTimeColumn.Choice = .byName, counterColumn: LineCounterColumn.Choice = .byName,
                logger: Logger) {
        self.state = Mutex(State(
            decoder: SampleDecoder(statistics: stream.statistics, forgetSeriesAfterMicros: forgetSeriesAfterMicros,
                                   timeColumn: timeColumn, counterColumn: counterColumn),
            rejectedLog: RejectedLineLog(logger: logger)))
        self.stream = stream
        self.recorder = recorder
        self.monitor = monitor
        self.logger = logger
    }

    public func ingest(_ bytes: ArraySlice<UInt8>, receivedMicros: Int64) {
        let stream = self.stream
        let recorder = self.recorder
        let monitor = self.monitor
        state.withLock { state in
            let rejectedLog = state.rejectedLog
            let clockBefore = state.decoder.timeColumn.current?.name
            let resetsBefore = state.decoder.timeColumn.resets
            let counterBefore = state.decoder.counterColumn.name
            defer {
                noteClock(state.decoder.timeColumn, before: clockBefore, resetsBefore: resetsBefore)
                if let counter = state.decoder.counterColumn.name, counter != counterBefore {
                    logger.info("column '\(counter)' numbers the sketch's lines: lines lost on the wire are counted and shown as gaps; --counter-column none keeps it a series")
                }
            }
            state.decoder.feed(
                bytes, receivedMicros: receivedMicros,
                onLine: { line in
                    recorder?.record(line, receivedMicros: receivedMicros)
                    monitor?.received(line, micros: receivedMicros)
                },
                onError: { kind, line in
                    rejectedLog.rejected(kind, line: line, nowMicros: receivedMicros)
                    if let line { monitor?.rejected(line, kind: kind) }
                },
                onSample: { sample in
                    if sample.linesLostBefore > 0 {
                        rejectedLog.log.warning("\(sample.linesLostBefore) line\(sample.linesLostBefore == 1 ? "" : "s") lost on the wire (the sketch's line counter skipped); a full USB buffer or a noisy cable?", nowMicros: receivedMicros)
                    }
                    stream.publish(sample)
                }
            )
        }
    }

    /// Says once which column became the board's clock, and each time the board's clock
    /// started again.
    private func noteClock(_ column: BoardTimeColumn, before: String?, resetsBefore: Int) {
        if let current = column.current, current.name != before {
            logger.info("column '\(current.name)' is the board's clock (\(current.unit.rawValue)): samples are timed by it; --time-column none keeps it a series")
        }
        if column.resets > resetsBefore {
            logger.notice("the board's clock started again (a reset?): a new time segment begins")
        }
    }

    /// Logs the change and puts it into the stream. After a (re)connection what was left
    /// of a line belongs to the old connection and is dropped.
    public func sourceChanged(_ state: SourceStatus.State, detail: String) {
        switch state {
        case .connected:
            self.state.withLock { $0.decoder.dropPartialLine() }
            logger.info("\(detail)")
        case .disconnected:
            logger.warning("\(detail)")
        case .starting, .finished, .stopped:
            break
        }
        stream.updateSource(state: state, detail: detail)
    }

    /// Reports skipped lines a second now over hid (call it every second or so).
    public func flushLog(nowMicros: Int64 = WallClock.nowMicros()) {
        state.withLock { $0.rejectedLog.log.flush(nowMicros: nowMicros) }
    }

    /// Writes out what the recorder holds and closes it.
    public func close() { recorder?.close() }
}

/// Logs rejected lines without flooding (a few a second, then how many were not shown),
/// with a hint when the errors suggest a wrong baud rate.
struct RejectedLineLog: Sendable {
    let log: ThrottledLog

    init(logger: Logger) { self.log = ThrottledLog(logger: logger, subject: "skipped lines", linesPerSecond: 3) }

    func rejected(_ kind: ParseErrorKind, line: [UInt8]?, nowMicros: Int64) {
        log.warning({
            var message = "skipped a line (\(kind.rawValue))"
            if let line { message += ": \(StreamStatistics.printable(line))" }
            switch kind {
            case .invalidUTF8, .lineTooLong, .nulByte:
                message += "; if this persists, check that --baud matches the sketch's Serial.begin()"
            default:
                break
            }
            return message
        }(), nowMicros: nowMicros)
    }
}
