import Logging
import SensorBridgeCore
import SensorBridgeServer
import Synchronization

/// The one path every source's bytes take: framer → parser → (recorder) → hub.
/// Fed from the source's thread; the lock is never contended (the source's thread is the
/// only one that takes it, but a type checked for sharing cannot know that).
final class IngestPipeline: Sendable {
    private struct State {
        var decoder: SampleDecoder
        var rejectedLog: RejectedLineLog
    }
    private let state: Mutex<State>
    private let hub: SampleHub
    private let recorder: Recorder?

    init(hub: SampleHub, recorder: Recorder?, logger: Logger) {
        self.state = Mutex(State(decoder: SampleDecoder(statistics: hub.statistics), rejectedLog: RejectedLineLog(logger: logger)))
        self.hub = hub
        self.recorder = recorder
    }

    func ingest<Bytes: Collection>(_ bytes: Bytes, receivedMicros: Int64) where Bytes.Element == UInt8 {
        let hub = self.hub
        let recorder = self.recorder
        state.withLock { state in
            var rejectedLog = state.rejectedLog
            state.decoder.feed(
                bytes, receivedMicros: receivedMicros,
                onLine: { recorder?.record($0, receivedMicros: receivedMicros) },
                onError: { kind, line in rejectedLog.rejected(kind, line: line, nowMicros: receivedMicros) },
                onSample: { hub.publish($0) }
            )
            state.rejectedLog = rejectedLog
        }
    }

    /// After the device was reopened: what was left of a line belongs to the old connection.
    func dropPartialLine() { state.withLock { $0.decoder.dropPartialLine() } }

    func close() { recorder?.close() }
}

/// Logs rejected lines without flooding: the first few, then at most one line a second
/// with how many were skipped in between, and a hint when the errors suggest a wrong baud rate.
struct RejectedLineLog {
    let logger: Logger
    private var lastLogMicros: Int64 = 0
    private var unlogged = 0
    private var logged = 0

    init(logger: Logger) { self.logger = logger }

    mutating func rejected(_ kind: ParseErrorKind, line: [UInt8]?, nowMicros: Int64) {
        guard logged < 5 || nowMicros - lastLogMicros >= 1_000_000 else {
            unlogged += 1
            return
        }
        var message = "skipped a line (\(kind.rawValue))"
        if let line { message += ": \(StreamStatistics.printable(line))" }
        if unlogged > 0 { message += " [and \(unlogged) more since the last report]" }
        switch kind {
        case .invalidUTF8, .lineTooLong, .nulByte:
            message += "; if this persists, check that --baud matches the sketch's Serial.begin()"
        default:
            break
        }
        logger.warning("\(message)")
        logged += 1
        unlogged = 0
        lastLogMicros = nowMicros
    }
}
