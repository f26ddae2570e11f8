import Foundation
import Logging
import SensorBridgeCore
import SensorBridgeStream
#if canImport(Glibc)
import Glibc
#endif

struct TestSocketError: Error, CustomStringConvertible {
    let description: String
    init(_ operation: String) { description = "\(operation): \(String(cString: strerror(errno)))" }
}

/// 127.0.0.1 with `port`, as the socket calls take it.
func loopback(port: Int) -> sockaddr_in {
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = UInt16(port).bigEndian
    address.sin_addr = in_addr(s_addr: UInt32(0x7F00_0001).bigEndian)
    return address
}

func bind(_ fd: Int32, port: Int) -> Int32 {
    var address = loopback(port: port)
    return withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
    }
}

func localPort(_ fd: Int32) -> Int {
    var address = sockaddr_in()
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    _ = withUnsafeMutablePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
    }
    return Int(UInt16(bigEndian: address.sin_port))
}

/// A port on 127.0.0.1 that nothing listens on (it was free a moment ago): connects are refused.
func refusedPort() throws -> Int {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(fd) }
    guard bind(fd, port: 0) == 0 else { throw TestSocketError("bind") }
    return localPort(fd)
}

/// Polls `condition` every 5 ms until it holds or `seconds` pass; its last answer.
func eventually(within seconds: Double = 10, _ condition: () -> Bool) -> Bool {
    let deadline = Date().addingTimeInterval(seconds)
    while !condition() {
        guard Date() < deadline else { return false }
        usleep(5_000)
    }
    return true
}

/// A TCP server on 127.0.0.1 standing in for a board that serves lines: one client at a time.
final class TestTCPServer: @unchecked Sendable {
    let port: Int
    private var listener: Int32
    private var client: Int32 = -1

    init(port: Int = 0, backlog: Int32 = 8) throws {
        listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var one: Int32 = 1
        setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        guard bind(listener, port: port) == 0 else {
            Glibc.close(listener)
            throw TestSocketError("bind 127.0.0.1:\(port)")
        }
        guard listen(listener, backlog) == 0 else { throw TestSocketError("listen") }
        self.port = localPort(listener)
    }

    deinit { close() }

    /// Takes the next connection, waiting up to `seconds`.
    func acceptClient(within seconds: Double = 10) -> Bool {
        var ready = pollfd(fd: listener, events: Int16(POLLIN), revents: 0)
        guard poll(&ready, 1, Int32(seconds * 1000)) == 1 else { return false }
        closeClient()
        client = Glibc.accept(listener, nil, nil)
        return client >= 0
    }

    @discardableResult
    func send(_ bytes: [UInt8]) -> Bool {
        guard client >= 0 else { return false }
        return bytes.withUnsafeBytes { Glibc.send(client, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) } == bytes.count
    }

    @discardableResult
    func send(_ text: String) -> Bool { send(Array(text.utf8)) }

    /// What the client sent, read until it holds `marker` or `seconds` pass.
    func receive(until marker: String, within seconds: Double = 5) -> String {
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        let deadline = Date().addingTimeInterval(seconds)
        while !String(decoding: received, as: UTF8.self).contains(marker), Date() < deadline, client >= 0 {
            var ready = pollfd(fd: client, events: Int16(POLLIN), revents: 0)
            guard poll(&ready, 1, 50) == 1 else { continue }
            let count = buffer.withUnsafeMutableBytes { Glibc.read(client, $0.baseAddress, $0.count) }
            guard count > 0 else { break }
            received += buffer[0..<count]
        }
        return String(decoding: received, as: UTF8.self)
    }

    func closeClient() {
        if client >= 0 { Glibc.close(client) }
        client = -1
    }

    /// Closes the connection and stops listening: the port refuses until a server opens it again.
    func close() {
        closeClient()
        if listener >= 0 { Glibc.close(listener) }
        listener = -1
    }
}

/// A UDP socket on 127.0.0.1 that sends datagrams, from a port of its own.
final class TestUDPSender {
    let fd: Int32
    let port: Int

    init() throws {
        fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        guard bind(fd, port: 0) == 0 else { throw TestSocketError("bind") }
        port = localPort(fd)
    }

    deinit { close(fd) }

    @discardableResult
    func send(_ text: String, to port: Int) -> Bool {
        var address = loopback(port: port)
        let bytes = Array(text.utf8)
        return bytes.withUnsafeBytes { data in
            withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    sendto(fd, data.baseAddress, data.count, 0, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                }
            }
        } == bytes.count
    }
}

/// A stream and the pipeline into it, as the bridge wires a source; what the source
/// delivered is read back from the stream.
final class Bench: Sendable {
    let stream: SensorStream
    let monitor = LineMonitor()
    let pipeline: IngestPipeline

    init(kind: SourceKind) {
        stream = SensorStream(source: SourceStatus(kind: kind, name: "test", baud: nil), capacity: 4096)
        pipeline = IngestPipeline(stream: stream, monitor: monitor, logger: Logger(label: "test"))
    }

    var samples: [[Double]] { stream.read(from: 0).elements.compactMap { $0.sample?.values } }
    var status: SourceStatus { stream.sourceStatus }

    /// Every state change so far, as "state: detail".
    var changes: [String] {
        stream.read(from: 0).elements.compactMap { event in
            guard case .source(let state, let detail) = event.kind else { return nil }
            return "\(state.rawValue): \(detail)"
        }
    }

    /// The lines framed so far, as the raw monitor shows them.
    var lines: [String] { monitor.entries(after: 0).map(\.text) }
}
