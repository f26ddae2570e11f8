import Foundation
import Logging
import SensorBridgeCore

/// Reads a serial device on a thread of its own (a blocking-style loop must never sit on
/// the Swift concurrency pool or an event loop) and hands every piece of input, stamped
/// with its time of arrival, to `onBytes`. When the device vanishes it says so and reopens
/// it with backoff, so the server and its clients carry on across an unplug.
public final class SerialReader: @unchecked Sendable {
    public enum State: String, Sendable { case connected, disconnected, stopped }

    public let path: String
    public let baud: Int
    private let logger: Logger
    private let onBytes: (ArraySlice<UInt8>, Int64) -> Void
    private let onState: (State, String) -> Void
    private let stopRequested = NSCondition()
    private var stopping = false
    private var thread: Thread?
    private let finished = DispatchSemaphore(value: 0)

    /// - Parameters:
    ///   - onBytes: called on the reader thread with the bytes and their arrival time (µs since epoch).
    ///   - onState: called on the reader thread when the device connects or goes away, with a message.
    public init(
        path: String, baud: Int, logger: Logger,
        onState: @escaping (State, String) -> Void,
        onBytes: @escaping (ArraySlice<UInt8>, Int64) -> Void
    ) {
        self.path = path
        self.baud = baud
        self.logger = logger
        self.onState = onState
        self.onBytes = onBytes
    }

    /// Opens the device once, so that a wrong path or permission is reported at start-up
    /// instead of being retried forever, then reads on a new thread.
    public func start() throws {
        let port = try SerialPort(path: path, baud: baud)
        let thread = Thread { [self] in
            self.run(firstPort: port)
            self.finished.signal()
        }
        thread.name = "serial \(path)"
        self.thread = thread
        thread.start()
    }

    /// Stops reading and closes the device; returns when the thread has ended.
    public func stop() {
        stopRequested.lock()
        stopping = true
        stopRequested.broadcast()
        stopRequested.unlock()
        if thread != nil { finished.wait() }
        thread = nil
    }

    private var isStopping: Bool {
        stopRequested.lock()
        defer { stopRequested.unlock() }
        return stopping
    }

    private func run(firstPort: SerialPort) {
        var port: SerialPort? = firstPort
        var buffer = [UInt8](repeating: 0, count: 4096)
        var retryDelay = 0.1
        var announceConnected = true
        while !isStopping {
            guard let open = port else {
                waitBeforeRetry(seconds: retryDelay)
                retryDelay = min(retryDelay * 2, 2.0)
                do {
                    port = try SerialPort(path: path, baud: baud)
                    retryDelay = 0.1
                    announceConnected = true
                } catch {
                    logger.debug("reopen failed", metadata: ["error": "\(error)"])
                }
                continue
            }
            if announceConnected {
                onState(.connected, "reading \(path) at \(baud) baud")
                announceConnected = false
            }
            do {
                let count = try open.read(into: &buffer, timeoutMilliseconds: 200)
                if count > 0 {
                    onBytes(buffer[0..<count], WallClock.nowMicros())
                }
            } catch {
                open.close()
                port = nil
                onState(.disconnected, "\(error) Waiting for it to come back.")
            }
        }
        port?.close()
        onState(.stopped, "stopped reading \(path)")
    }

    private func waitBeforeRetry(seconds: Double) {
        stopRequested.lock()
        if !stopping { _ = stopRequested.wait(until: Date(timeIntervalSinceNow: seconds)) }
        stopRequested.unlock()
    }
}
