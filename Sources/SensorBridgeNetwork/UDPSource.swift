import Logging
import SensorBridgeCore
import SensorBridgeStream
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// Listens for boards that send their lines as UDP datagrams (an ESP8266 or ESP32 sketch's
/// `udp.beginPacket`), on a `SourceThread` with one `poll()` on the socket and the stop
/// signal. Each datagram is ingested whole and ends its line (`DatagramLine`). Anyone who
/// can reach the port can send, so what is taken is bounded (`DatagramBudget`); the rest is
/// dropped, counted, and said in a throttled log line. The status says who is sending
/// (`SenderWatch`). Nothing is sent back: a UDP board has no connection to answer on.
public final class UDPSource: ByteSource {
    public let address: NetworkSourceAddress
    public let datagramsPerSecond: Double
    public let bytesPerSecond: Double
    private let logger: Logger
    private let dropLog: ThrottledLog
    private let stopSignal = StopSignal()
    private let thread = SourceThread()
    /// Bound by `start`, taken over by the thread.
    private let listening = Mutex<OwnedSocket?>(nil)
    private let port = Atomic<Int>(0)
    private let dropped = Atomic<UInt64>(0)
    private let received = Atomic<UInt64>(0)

    /// Datagrams read per wake-up before the stop signal is looked at again.
    static let datagramsPerTurn = 256
    /// Asked of the kernel, so a burst waits in the socket rather than being lost there
    /// (it grants at most net.core.rmem_max).
    static let receiveBufferBytes: Int32 = 4 << 20

    /// - Parameters:
    ///   - datagramsPerSecond: datagrams taken a second (a burst of as many); 20 000 by default.
    ///   - bytesPerSecond: bytes taken a second; 16 MB by default.
    public init(address: NetworkSourceAddress, datagramsPerSecond: Double = 20_000,
                bytesPerSecond: Double = 16_000_000, logger: Logger) {
        precondition(address.transport == .udp, "a UDPSource needs a udp:// address")
        self.address = address
        self.datagramsPerSecond = datagramsPerSecond
        self.bytesPerSecond = bytesPerSecond
        self.logger = logger
        self.dropLog = ThrottledLog(logger: logger, subject: "reports of dropped datagrams", linesPerSecond: 1)
        _ = DatagramBudget(datagramsPerSecond: datagramsPerSecond, bytesPerSecond: bytesPerSecond)  // checks the limits now
    }

    /// The port listened on once started (the one the system chose when asked for port 0).
    public var boundPort: Int? {
        let port = port.load(ordering: .acquiring)
        return port == 0 ? nil : port
    }

    /// Datagrams dropped for being over the limits, since start.
    public var droppedDatagrams: UInt64 { dropped.load(ordering: .relaxed) }
    /// Datagrams taken and ingested, since start.
    public var receivedDatagrams: UInt64 { received.load(ordering: .relaxed) }

    /// The address as the status says it, with the port actually bound.
    public var listeningAddress: NetworkSourceAddress { address.with(port: boundPort ?? address.port) }

    /// Binds now, so a port in use or not allowed is said at start-up, then reads on a new thread.
    public func start(into sink: any ByteSink) throws {
        let socket: OwnedSocket
        switch UDPBind.bind(address) {
        case .success(let bound): socket = bound
        case .failure(let reason): throw SourceError("cannot listen on \(address.displayed): \(reason)")
        }
        socket.set(level: SOL_SOCKET, option: SO_RCVBUF, to: Self.receiveBufferBytes)
        port.store(socket.localPort() ?? address.port, ordering: .releasing)
        listening.withLock { $0 = socket }
        thread.start(name: "udp \(address.hostAndPort)") { [self] in run(sink: sink) }
    }

    /// Stops listening and closes the socket; returns when the thread has ended (at once).
    public func stop() {
        thread.stop(interrupt: stopSignal.raise)
    }

    private func run(sink: any ByteSink) {
        guard let socket = listening.withLock({ $0.take() }) else { return }
        let shown = listeningAddress.displayed
        sink.sourceChanged(.connected, detail: "listening on \(shown); nothing received yet")
        var budget = DatagramBudget(datagramsPerSecond: datagramsPerSecond, bytesPerSecond: bytesPerSecond)
        var senders = SenderWatch()
        var drops = DropTally()
        // One byte more than the largest UDP payload, for the line end a datagram may need.
        var buffer = [UInt8](repeating: 0, count: 65_536 + 1)
        while !thread.isStopping {
            let now = WallClock.monotonicMicros()
            var descriptors = [
                pollfd(fd: stopSignal.fileDescriptor, events: Int16(POLLIN), revents: 0),
                pollfd(fd: socket.fileDescriptor, events: Int16(POLLIN), revents: 0),
            ]
            let timeout = Self.soonest(senders.pollTimeoutMilliseconds(nowMicros: now), drops.pollTimeoutMilliseconds(nowMicros: now))
            let ready = poll(&descriptors, 2, timeout)
            if descriptors[0].revents != 0 || thread.isStopping { break }
            if ready > 0, descriptors[1].revents != 0 {
                for _ in 0..<Self.datagramsPerTurn {
                    var from = sockaddr_storage()
                    var fromLength = socklen_t(MemoryLayout<sockaddr_storage>.size)
                    let count = buffer.withUnsafeMutableBytes { bytes in
                        withUnsafeMutablePointer(to: &from) {
                            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                                recvfrom(socket.fileDescriptor, bytes.baseAddress, bytes.count - 1, Int32(MSG_DONTWAIT), $0, &fromLength)
                            }
                        }
                    }
                    if count < 0 {
                        if errno == EINTR { continue }
                        if errno != EAGAIN { logger.debug("udp receive failed", metadata: ["error": "\(SocketFailure(errno: errno))"]) }
                        break
                    }
                    let arrived = WallClock.monotonicMicros()
                    guard budget.admit(byteCount: count, nowMicros: arrived) else {
                        dropped.add(1, ordering: .relaxed)
                        drops.dropped()
                        continue
                    }
                    received.add(1, ordering: .relaxed)
                    let sender = SocketAddress(storage: from, length: fromLength).numericText
                    if let words = senders.heard(sender, nowMicros: arrived) {
                        sink.sourceChanged(.connected, detail: "receiving on \(shown) \(words)")
                    }
                    var length = count
                    if DatagramLine.needsLineEnd(buffer[0..<count]) {
                        buffer[count] = UInt8(ascii: "\n")
                        length += 1
                    }
                    if length > 0 { sink.ingest(buffer[0..<length], receivedMicros: WallClock.nowMicros()) }
                }
            }
            let later = WallClock.monotonicMicros()
            if let words = senders.due(nowMicros: later) {
                sink.sourceChanged(.connected, detail: "receiving on \(shown) \(words)")
            }
            if let count = drops.report(nowMicros: later) {
                let total = droppedDatagrams
                dropLog.warning("dropped \(count) datagram\(count == 1 ? "" : "s") over the limit of \(Int(datagramsPerSecond)) datagrams/s and \(Int(bytesPerSecond)) bytes/s on \(shown) (\(total) since start)")
            }
        }
        sink.sourceChanged(.stopped, detail: "stopped listening on \(shown)")
    }

    private static func soonest(_ first: Int32, _ second: Int32) -> Int32 {
        if first < 0 { return second }
        if second < 0 { return first }
        return min(first, second)
    }

    /// Dropped datagrams not yet said, said at most once a second.
    private struct DropTally {
        private var unsaid = 0
        private var lastSaidMicros: Int64?

        mutating func dropped() { unsaid += 1 }

        /// How many to say now, if any are due.
        mutating func report(nowMicros: Int64) -> Int? {
            guard unsaid > 0 else { return nil }
            if let lastSaidMicros, nowMicros.subtractingSaturating(lastSaidMicros) < 1_000_000 { return nil }
            defer { unsaid = 0; lastSaidMicros = nowMicros }
            return unsaid
        }

        func pollTimeoutMilliseconds(nowMicros: Int64) -> Int32 {
            guard unsaid > 0, let lastSaidMicros else { return unsaid > 0 ? 0 : -1 }
            let remaining = lastSaidMicros.addingSaturating(1_000_000).subtractingSaturating(nowMicros)
            return Int32(clamping: max(0, remaining.addingSaturating(999) / 1000))
        }
    }
}
