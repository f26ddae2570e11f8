#if canImport(Glibc)
import Glibc
#endif
import Dispatch
import Logging
import SensorBridgeCore
import Synchronization

/// Writes every line the source delivers to a recording file (RecordingFormat), so a
/// session with a real board can be replayed later, by a person or by the tests.
///
/// Lines are queued whole and written every 50 ms by a timer, whether or not more lines
/// come: a bridge that is killed (even with SIGKILL, which nothing can catch) loses at most
/// the last 50 ms, and never leaves half a line of its own making. The source's thread only
/// appends to memory; it never waits on the disk.
public final class Recorder: Sendable {
    static let flushInterval: DispatchTimeInterval = .milliseconds(50)

    private struct Queue {
        var bytes: [UInt8] = []
        var startMicros: Int64?
    }

    private let descriptor: Int32
    private let path: String
    private let source: String
    private let logger: Logger
    private let queue = Mutex(Queue())
    /// Held while writing, so two flushes (the timer's and the last one) keep the order.
    private let writing = Mutex(false)
    private let timer: Mutex<DispatchSourceTimer>
    private let failed = Atomic<Bool>(false)

    public init(path: String, source: String, logger: Logger) throws {
        let descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else {
            throw SourceError("cannot write the recording \(path): \(String(cString: strerror(errno)))")
        }
        self.descriptor = descriptor
        self.path = path
        self.source = source
        self.logger = logger
        self.timer = Mutex(DispatchSource.makeTimerSource(queue: DispatchQueue(label: "recorder")))
        timer.withLock { timer in
            timer.schedule(deadline: .now() + Self.flushInterval, repeating: Self.flushInterval)
            timer.setEventHandler { [weak self] in self?.flush() }
            timer.resume()
        }
    }

    /// Records `line` received at `receivedMicros`. Called on the source's thread only.
    public func record(_ line: ArraySlice<UInt8>, receivedMicros: Int64) {
        queue.withLock { queue in
            if queue.startMicros == nil {
                queue.startMicros = receivedMicros
                queue.bytes += Array(RecordingFormat.header(startedMicros: receivedMicros, source: source).utf8)
            }
            queue.bytes += RecordingFormat.entry(offsetMicros: receivedMicros - queue.startMicros!, line: line)
        }
    }

    /// Writes what is queued. The queue holds whole lines only, and each write is retried
    /// until all of it is out (or the disk refuses, which is said once).
    public func flush() {
        writing.withLock { _ in
            let bytes = queue.withLock { queue -> [UInt8] in
                defer { queue.bytes.removeAll(keepingCapacity: true) }
                return queue.bytes
            }
            var offset = 0
            while offset < bytes.count {
                let written = bytes[offset...].withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
                if written < 0 {
                    if errno == EINTR { continue }
                    if !failed.exchange(true, ordering: .relaxed) {
                        logger.error("cannot write the recording \(path): \(String(cString: strerror(errno))); lines are being lost")
                    }
                    return
                }
                offset += written
            }
        }
    }

    public func close() {
        timer.withLock { $0.cancel() }
        flush()
        fsync(descriptor)
        Glibc.close(descriptor)
    }
}
