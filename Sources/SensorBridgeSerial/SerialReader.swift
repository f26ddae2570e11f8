import Foundation
import Logging
import SensorBridgeCore
import SensorBridgeStream
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// Reads a serial device on a `SourceThread` and hands every piece of input, stamped with
/// its time of arrival, to its sink. One `poll()` waits for the device, udev's events
/// and a stop request together: no time-outs while data flows, no syscall per read for
/// udev, and `stop()` takes effect at once. When the device vanishes (a read error, a
/// hang-up, a udev remove event) it says so and waits for the board to come back: at the
/// same path (a symlink is resolved again), or, for a plain `/dev/ttyACM*` name, wherever
/// the board's USB serial number now is (`ReconnectTarget`). It notices the return from a
/// udev event where udevd runs, else by looking four times a second; opens that fail back
/// off up to 2 s. Server and clients carry on meanwhile. It hands the port over for an
/// upload on request (`PortRelease`) and takes it back the same way it finds a replugged board.
public final class SerialReader: ByteSource, LineTarget, PortRelease {
    public let path: String
    public let baud: Int
    private let logger: Logger
    private let stopSignal = StopSignal()
    private let thread = SourceThread()
    /// The device while it is open: lines to the board are written to it (`writeLine`).
    private let openPort = Mutex<SerialPort?>(nil)
    /// A request to hand the port over (`release`), and its wake-up for the reading thread.
    private let hold = Mutex(ReleaseHold())
    private let releaseSignal = StopSignal()

    /// How often a missing device is looked for when no udev event says it is back.
    static let lookInterval: Int32 = 250
    static let longestBackoff = 2.0

    public init(path: String, baud: Int, logger: Logger) {
        self.path = path
        self.baud = baud
        self.logger = logger
    }

    /// Opens the device once, so that a wrong path or permission is reported at start-up
    /// instead of being retried forever, then reads on a new thread.
    public func start(into sink: any ByteSink) throws {
        let port = try SerialPort(path: path, baud: baud)
        var linkInfo = stat()
        let isLink = lstat(path, &linkInfo) == 0 && (linkInfo.st_mode & S_IFMT) == S_IFLNK
        let target = ReconnectTarget(
            requested: path, requestedIsLink: isLink,
            serialNumber: USBDeviceFacts.lookUp(path: path)?.serialNumber)
        thread.start(name: "serial \(path)") { [self] in run(firstPort: port, target: target, sink: sink) }
    }

    /// Stops reading and closes the device; returns when the thread has ended (at once:
    /// the stop request wakes its `poll()`).
    public func stop() {
        thread.stop(interrupt: stopSignal.raise)
    }

    private func run(firstPort: SerialPort, target: ReconnectTarget, sink: any ByteSink) {
        let monitor = HotplugMonitor()
        var port: SerialPort? = firstPort
        var buffer = [UInt8](repeating: 0, count: 4096)
        var announceConnected = true
        var backoff = Backoff()
        while !thread.isStopping {
            if hold.withLock({ $0.isHeld(nowMicros: WallClock.monotonicMicros()) }) {
                openPort.withLock { $0 = nil }
                port?.close()
                port = nil
                waitWhileReleased(sink: sink)
                backoff = Backoff()
                continue
            }
            guard let open = port else {
                port = reopen(target: target, monitor: monitor, backoff: &backoff)
                announceConnected = port != nil
                continue
            }
            if announceConnected {
                openPort.withLock { $0 = open }
                let moved = open.path == path ? "" : " (the board's serial number moved it from \(path))"
                sink.sourceChanged(.connected, detail: "reading \(open.path) at \(baud) baud\(moved)")
                announceConnected = false
            }
            let ready = waitForInput(device: open.fileDescriptor, monitor: monitor, milliseconds: -1)
            guard !ready.stop else { break }
            guard !ready.release else { continue }
            do {
                if ready.device {
                    let count = try open.readAvailable(into: &buffer)
                    if count > 0 { sink.ingest(buffer[0..<count], receivedMicros: WallClock.nowMicros()) }
                }
                if ready.udev, let removed = monitor?.pending().first(where: { $0.action == "remove" && $0.devnode == open.deviceNode }) {
                    throw SerialError(path: removed.devnode ?? open.path, operation: "udev remove event", errno: ENODEV)
                }
            } catch {
                openPort.withLock { $0 = nil }
                open.close()
                port = nil
                backoff = Backoff()
                sink.sourceChanged(.disconnected, detail: "\(error) Waiting for it to come back.")
            }
        }
        openPort.withLock { $0 = nil }
        port?.close()
        sink.sourceChanged(.stopped, detail: "stopped reading \(path)")
    }

    // MARK: - Handing the port over

    public func release(forSeconds seconds: Double, by holder: String) throws {
        let ticket = hold.withLock { $0.request(seconds: seconds, by: holder, nowMicros: WallClock.monotonicMicros()) }
        releaseSignal.raise()
        let deadline = WallClock.monotonicMicros() + 3_000_000
        while !hold.withLock({ $0.isConfirmed(ticket) }) {
            guard WallClock.monotonicMicros() < deadline, !thread.isStopping else {
                throw SourceError("\(path) was not let go of within 3 s (is the bridge stopping?)")
            }
            usleep(2_000)
        }
    }

    public func reclaim() {
        hold.withLock { $0.reclaim() }
        releaseSignal.raise()
    }

    /// The port is closed: says so, confirms to the askers, and waits until the hold ends
    /// (renewals confirmed as they come) or the bridge stops.
    private func waitWhileReleased(sink: any ByteSink) {
        let holder = hold.withLock { $0.confirm(); return $0.holder }
        sink.sourceChanged(.released, detail: "\(path) is closed for an upload (asked by \(holder)); reopened when it ends")
        while !thread.isStopping {
            let left = hold.withLock { state -> Int64 in
                state.confirm()
                return state.remainingMicros(nowMicros: WallClock.monotonicMicros())
            }
            guard left > 0 else { break }
            let ready = waitForInput(device: -1, monitor: nil, milliseconds: Int32(min(left / 1_000 + 1, 1_000)))
            if ready.stop { return }
        }
        guard !thread.isStopping else { return }
        sink.sourceChanged(.disconnected, detail: "the upload ended; reopening \(path)")
    }

    /// Writes a line to the board, if it is connected.
    public func writeLine(_ bytes: [UInt8]) throws {
        guard let port = openPort.withLock({ $0 }) else {
            throw SendRefusal("the board is disconnected; the line was not sent")
        }
        do {
            try port.write(bytes, timeoutMilliseconds: 20)  // on an event loop: never long
        } catch let error as SerialError where error.errno == ETIMEDOUT {
            throw SendRefusal("the board is not reading its input; the line was not sent")
        }
    }

    /// Which of the device, udev's monitor and the stop request have something; waits up to
    /// `milliseconds` (-1: until one does). A device of -1 is not waited for.
    private func waitForInput(device: Int32, monitor: HotplugMonitor?, milliseconds: Int32)
        -> (device: Bool, udev: Bool, stop: Bool, release: Bool)
    {
        var descriptors = [
            pollfd(fd: stopSignal.fileDescriptor, events: Int16(POLLIN), revents: 0),
            pollfd(fd: device, events: Int16(POLLIN), revents: 0),
            pollfd(fd: monitor?.fileDescriptor ?? -1, events: Int16(POLLIN), revents: 0),
            pollfd(fd: releaseSignal.fileDescriptor, events: Int16(POLLIN), revents: 0),
        ]
        let ready = poll(&descriptors, nfds_t(descriptors.count), milliseconds)
        // EINTR or a time-out: nothing to do but look again.
        guard ready > 0 else { return (false, false, thread.isStopping, false) }
        let release = descriptors[3].revents != 0
        if release { releaseSignal.clear() }
        return (descriptors[1].revents != 0, descriptors[2].revents != 0, descriptors[0].revents != 0 || thread.isStopping, release)
    }

    /// One look for the board: wait for a udev event or the look interval, find where the
    /// board is, and open it unless a recent failure there asks to wait longer.
    private func reopen(target: ReconnectTarget, monitor: HotplugMonitor?, backoff: inout Backoff) -> SerialPort? {
        let ready = waitForInput(device: -1, monitor: monitor, milliseconds: Self.lookInterval)
        if ready.udev, let monitor, !monitor.pending().isEmpty { backoff.reset() }
        guard !ready.stop, !ready.release, !thread.isStopping,
              let candidate = target.path(among: SerialDeviceScanner.scan()),
              let node = SerialPort.deviceNode(candidate) else { return nil }
        guard backoff.allowsAttempt(on: node) else { return nil }
        do {
            let port = try SerialPort(path: candidate, baud: baud)
            if candidate != path { logger.info("board serial \(target.serialNumber ?? "-") found at \(candidate)") }
            return port
        } catch {
            backoff.failed(on: node)
            logger.debug("reopen failed; next try in \(backoff.delay) s", metadata: ["error": "\(error)"])
            return nil
        }
    }

    /// Opens that fail on a node that is there (busy, no permission yet while udev sets it
    /// up) are retried after 0.25 s, then 0.5, 1, 2 s. A different node, or a udev event,
    /// starts again from the shortest wait.
    struct Backoff {
        private(set) var delay = 0.0
        private var node: String?
        private var notBefore = Date.distantPast

        mutating func reset() { self = Backoff() }

        func allowsAttempt(on node: String, now: Date = Date()) -> Bool {
            node != self.node || now >= notBefore
        }

        mutating func failed(on node: String, now: Date = Date()) {
            if node != self.node { delay = 0 }
            self.node = node
            delay = min(max(delay * 2, 0.25), SerialReader.longestBackoff)
            notBefore = now.addingTimeInterval(delay)
        }
    }
}
