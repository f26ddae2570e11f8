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
    public init(stream: SensorStream, recorder: Recorder? = nil, monitor: LineMonitor? = nil,
                forgetSeriesAfterMicros: Int64 = LineParser.defaultForgetSeriesAfterMicros, logger: Logger) {
        self.state = Mutex(State(
            decoder: SampleDecoder(statistics: stream.statistics, forgetSeriesAfterMicros: forgetSeriesAfterMicros),
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
                onSample: { stream.publish($0) }
            )
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
