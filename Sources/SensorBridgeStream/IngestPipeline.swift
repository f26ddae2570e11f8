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
        /// The samples of the read being parsed, published together; kept for its capacity.
        var pending: [Sample] = []
        /// What the columns that are not series said when last logged, and its revision.
        var columnsSeen: ColumnsSeen
        var columnsRevision: SampleDecoder.ColumnsRevision

        init(decoder: SampleDecoder, rejectedLog: RejectedLineLog) {
            self.decoder = decoder
            self.rejectedLog = rejectedLog
            self.columnsSeen = ColumnsSeen(decoder)
            self.columnsRevision = decoder.columnsRevision
        }
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
            // Published together once the read is parsed (in order, under the lock), so
            // subscribers are woken once a read.
            // Taken out (it is always left empty), so appending never copies it.
            var samples = state.pending
            state.pending = []
            defer {
                stream.publish(contentsOf: samples)
                samples.removeAll(keepingCapacity: true)
                state.pending = samples
            }
            let rejectedLog = state.rejectedLog
            defer {
                // Compared by number: building the names a read cost as much as parsing a line.
                let revision = state.decoder.columnsRevision
                if revision != state.columnsRevision {
                    let now = ColumnsSeen(state.decoder)
                    noteColumns(now, before: state.columnsSeen, log: rejectedLog.log, nowMicros: receivedMicros)
                    state.columnsSeen = now
                    state.columnsRevision = revision
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
                    samples.append(sample)
                }
            )
        }
    }

    /// Samples another bridge parsed (a relay's): counted and published as a device's are,
    /// so statistics, the store and every client see them alike.
    public func ingest(parsed samples: [Sample]) {
        var tally = StreamStatistics.Tally()
        tally.countRelayed(samples: samples.count, bytes: 0)
        stream.statistics.add(tally)
        stream.publish(contentsOf: samples)
    }

    /// What the decoder made of the columns that are not series, to log what changed.
    fileprivate struct ColumnsSeen {
        var clock: String?
        var clockUnit: String?
        var clockRefused: String?
        var resets: Int
        var counter: String?
        var counterRefused: String?

        /// Borrowed: an initializer owns its arguments, so a plain parameter copied the
        /// whole decoder (its buffers retained and released).
        init(_ decoder: borrowing SampleDecoder) {
            clock = decoder.timeColumn.current?.name
            clockUnit = decoder.timeColumn.current?.unit.rawValue
            clockRefused = decoder.timeColumn.refused
            resets = decoder.timeColumn.resets
            counter = decoder.counterColumn.name
            counterRefused = decoder.counterColumn.refused
        }
    }

    /// Says once which column became the board's clock or line counter, or was found not to
    /// be one, and (throttled: a device decides how often) when the board's clock started again.
    private func noteColumns(_ now: ColumnsSeen, before: ColumnsSeen, log: ThrottledLog, nowMicros: Int64) {
        if let clock = now.clock, clock != before.clock {
            logger.info("column '\(clock)' is the board's clock (\(now.clockUnit ?? "")): samples are timed by it; --time-column none keeps it a series")
        }
        if let refused = now.clockRefused, refused != before.clockRefused {
            logger.info("column '\(refused)' does not run like the board's clock (never falling, as fast as the lines come): kept as a series; --time-column \(refused) takes it anyway")
        }
        if now.resets > before.resets {
            log.notice("the board's clock started again (a reset?): a new time segment begins", nowMicros: nowMicros)
        }
        if let counter = now.counter, counter != before.counter {
            logger.info("column '\(counter)' numbers the sketch's lines: lines lost on the wire are counted and shown as gaps; --counter-column none keeps it a series")
        }
        if let refused = now.counterRefused, refused != before.counterRefused {
            logger.info("column '\(refused)' does not count the lines one by one: kept as a series; --counter-column \(refused) takes it anyway")
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
        case .released:
            logger.notice("\(detail)")
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
