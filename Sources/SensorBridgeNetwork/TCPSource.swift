import Logging
import SensorBridgeCore
import SensorBridgeStream
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// Reads a board that serves its lines over TCP (a board's own socket, ser2net, ESP-Link)
/// on a `SourceThread`, like the serial reader: one `poll()` waits for the socket and the stop
/// signal together, so `stop()` takes effect at once, connecting or reading. A peer that
/// refuses, cannot be reached, closes or fails is a board unplugged: the source says so and
/// tries again (0.25 s doubling to 5 s) while server and clients carry on. Only a host
/// name that does not exist at all is refused at start. TCP keepalive finds a peer that
/// vanished without a word; a peer that stays connected but silent is said once, and the
/// connection kept. Bytes go to the sink as they come: the pipeline's framer and parser
/// decide what is a line.
public final class TCPSource: ByteSource, LineTarget {
    public let address: NetworkSourceAddress
    /// How long a connected peer may send nothing before the status says so.
    public let silenceLimitSeconds: Double
    private let logger: Logger
    private let stopSignal = StopSignal()
    private let thread = SourceThread()
    /// The socket while connected: lines to the board are written to it (`writeLine`).
    private let connection = Mutex<OwnedSocket?>(nil)

    /// A line to the board is written from an event loop: it may never wait long.
    static let writeTimeoutMilliseconds: Int32 = 20
    /// Keepalive: probe after 10 s of quiet, every 5 s, give up after 3 unanswered (≈ 25 s).
    static let keepaliveIdleSeconds: Int32 = 10
    static let keepaliveIntervalSeconds: Int32 = 5
    static let keepaliveProbes: Int32 = 3

    /// - Parameter silenceLimitSeconds: 30 s by default; tests use 1 s.
    public init(address: NetworkSourceAddress, silenceLimitSeconds: Double = 30, logger: Logger) {
        precondition(address.transport == .tcp, "a TCPSource needs a tcp:// address")
        precondition(silenceLimitSeconds.isFinite && silenceLimitSeconds >= 0.001 && silenceLimitSeconds <= 86_400 * 365)
        self.address = address
        self.silenceLimitSeconds = silenceLimitSeconds
        self.logger = logger
    }

    /// Looks the host up once, so a name that does not exist is said at start-up rather than
    /// retried forever; a peer that refuses is retried on the thread (it may be booting).
    public func start(into sink: any ByteSink) throws {
        let first = resolve()
        if case .failure(let failure) = first, failure.isPermanent {
            throw SourceError("cannot connect to \(address.displayed): the host name \(address.host) is not known (\(failure)); check its spelling, or give the board's IP address")
        }
        thread.start(name: "tcp \(address.hostAndPort)") { [self] in run(sink: sink, first: first) }
    }

    /// Stops reading and closes the connection; returns when the thread has ended (at once:
    /// the stop signal wakes its `poll()`).
    public func stop() {
        thread.stop(interrupt: stopSignal.raise)
    }

    private func resolve() -> Result<[SocketAddress], ResolveFailure> {
        SocketAddress.resolve(host: address.host, port: address.port, socketType: Int32(SOCK_STREAM.rawValue), passive: false)
    }

    private func run(sink: any ByteSink, first: Result<[SocketAddress], ResolveFailure>) {
        let reporter = StateReporter(sink: sink)
        var delay = ReconnectDelay()
        var pending: Result<[SocketAddress], ResolveFailure>? = first
        attempts: while !thread.isStopping {
            let resolved = pending ?? resolve()
            pending = nil
            let addresses: [SocketAddress]
            switch resolved {
            case .success(let found): addresses = found
            case .failure(let failure):
                let wait = delay.failed()
                reporter.report(.disconnected, "cannot look up \(address.host): \(failure); trying again in \(SecondsText.of(micros: wait))")
                guard self.wait(micros: wait) else { break attempts }
                continue
            }
            switch TCPConnect.attempt(addresses, stop: stopSignal, isStopping: { thread.isStopping }) {
            case .stopped:
                break attempts
            case .failed(let reason):
                let wait = delay.failed()
                reporter.report(.disconnected, "cannot reach \(address.hostAndPort): \(reason); trying again in \(SecondsText.of(micros: wait))")
                guard self.wait(micros: wait) else { break attempts }
            case .connected(let socket):
                configure(socket)
                connection.withLock { $0 = socket }
                reporter.report(.connected, "reading \(address.displayed)")
                let connectedMicros = WallClock.monotonicMicros()
                let end = read(socket, sink: sink, reporter: reporter)
                connection.withLock { $0 = nil }
                guard case .ended(let why) = end else { break attempts }
                delay.connectionEnded(heldMicros: WallClock.monotonicMicros().subtractingSaturating(connectedMicros))
                let wait = delay.failed()
                reporter.report(.disconnected, "\(why); connecting again in \(SecondsText.of(micros: wait))")
                guard self.wait(micros: wait) else { break attempts }
            }
        }
        connection.withLock { $0 = nil }
        sink.sourceChanged(.stopped, detail: "stopped reading \(address.displayed)")
    }

    /// Keepalive, so a peer that lost power is found within about 25 s instead of never; no
    /// Nagle delay for the short lines sent to the board.
    private func configure(_ socket: OwnedSocket) {
        let tcp = Int32(IPPROTO_TCP)
        let settings: [(Int32, Int32, Int32)] = [
            (SOL_SOCKET, SO_KEEPALIVE, 1),
            (tcp, TCP_KEEPIDLE, Self.keepaliveIdleSeconds),
            (tcp, TCP_KEEPINTVL, Self.keepaliveIntervalSeconds),
            (tcp, TCP_KEEPCNT, Self.keepaliveProbes),
            (tcp, TCP_NODELAY, 1),
        ]
        for (level, option, value) in settings where !socket.set(level: level, option: option, to: value) {
            logger.debug("socket option \(option) refused", metadata: ["error": "\(SocketFailure(errno: errno))"])
        }
    }

    private enum ReadEnd {
        case stopped
        /// Why the connection ended, as the start of a sentence.
        case ended(String)
    }

    private func read(_ socket: OwnedSocket, sink: any ByteSink, reporter: StateReporter) -> ReadEnd {
        var buffer = [UInt8](repeating: 0, count: 65_536)
        let limitMicros = Int64(silenceLimitSeconds * 1e6)
        var silence = SilenceWatch(limitMicros: limitMicros, connectedMicros: WallClock.monotonicMicros())
        while true {
            var descriptors = [
                pollfd(fd: stopSignal.fileDescriptor, events: Int16(POLLIN), revents: 0),
                pollfd(fd: socket.fileDescriptor, events: Int16(POLLIN), revents: 0),
            ]
            let ready = poll(&descriptors, 2, silence.pollTimeoutMilliseconds(nowMicros: WallClock.monotonicMicros()))
            if descriptors[0].revents != 0 || thread.isStopping { return .stopped }
            if ready > 0, descriptors[1].revents != 0 {
                let count = buffer.withUnsafeMutableBytes { Glibc.read(socket.fileDescriptor, $0.baseAddress, $0.count) }
                if count > 0 {
                    if silence.heard(nowMicros: WallClock.monotonicMicros()) {
                        reporter.report(.connected, "reading \(address.displayed)")
                    }
                    sink.ingest(buffer[0..<count], receivedMicros: WallClock.nowMicros())
                } else if count == 0 {
                    return .ended("\(address.hostAndPort) closed the connection")
                } else if errno != EAGAIN && errno != EINTR {
                    return .ended("the connection to \(address.hostAndPort) failed: \(SocketFailure(errno: errno))")
                }
            }
            if silence.silenceToReport(nowMicros: WallClock.monotonicMicros()) {
                reporter.report(.connected, "connected to \(address.hostAndPort); nothing received for \(SecondsText.of(micros: limitMicros))")
            }
        }
    }

    /// Waits `micros` or until stopped; false when stopped.
    private func wait(micros: Int64) -> Bool {
        let deadline = WallClock.monotonicMicros().addingSaturating(micros)
        while !thread.isStopping {
            let remaining = deadline.subtractingSaturating(WallClock.monotonicMicros())
            guard remaining > 0 else { return true }
            var stop = pollfd(fd: stopSignal.fileDescriptor, events: Int16(POLLIN), revents: 0)
            if poll(&stop, 1, Int32(clamping: (remaining + 999) / 1000)) > 0 { return false }
        }
        return false
    }

    /// Writes a line to the board, if it is connected, within a short time (the caller may be
    /// an event loop).
    public func writeLine(_ bytes: [UInt8]) throws {
        guard let socket = connection.withLock({ $0 }) else {
            throw SendRefusal("the board at \(address.hostAndPort) is not connected; the line was not sent")
        }
        var written = 0
        let deadline = WallClock.monotonicMicros().addingSaturating(Int64(Self.writeTimeoutMilliseconds) * 1000)
        while written < bytes.count {
            let count = bytes[written...].withUnsafeBytes {
                send(socket.fileDescriptor, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL) | Int32(MSG_DONTWAIT))
            }
            if count > 0 {
                written += count
                continue
            }
            guard count < 0, errno == EAGAIN || errno == EINTR else {
                throw SendRefusal("the connection to \(address.hostAndPort) failed (\(SocketFailure(errno: count < 0 ? errno : EIO))); the line was not sent")
            }
            let remaining = Int32(clamping: max(0, deadline.subtractingSaturating(WallClock.monotonicMicros()) + 999) / 1000)
            var writable = pollfd(fd: socket.fileDescriptor, events: Int16(POLLOUT), revents: 0)
            if remaining <= 0 || poll(&writable, 1, remaining) == 0 {
                let part = written > 0 ? "only \(written) of its \(bytes.count) bytes were sent" : "the line was not sent"
                throw SendRefusal("the board at \(address.hostAndPort) is not reading what is sent to it; \(part)")
            }
        }
    }
}
