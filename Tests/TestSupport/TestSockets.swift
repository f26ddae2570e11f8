import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Plain sockets on 127.0.0.1 standing in for boards on the network: a TCP server serving
/// lines, a UDP sender of datagrams.
public struct TestSocketError: Error, CustomStringConvertible {
    public let description: String
    public init(_ operation: String) { description = "\(operation): \(String(cString: strerror(errno)))" }
}

/// 127.0.0.1 with `port`, as the socket calls take it.
public func loopback(port: Int) -> sockaddr_in {
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = UInt16(port).bigEndian
    address.sin_addr = in_addr(s_addr: UInt32(0x7F00_0001).bigEndian)
    return address
}

public func bindLoopback(_ fd: Int32, port: Int) -> Int32 {
    var address = loopback(port: port)
    return withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
    }
}

public func localPort(_ fd: Int32) -> Int {
    var address = sockaddr_in()
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    _ = withUnsafeMutablePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
    }
    return Int(UInt16(bigEndian: address.sin_port))
}

/// A port on 127.0.0.1 that nothing listens on (it was free a moment ago): connects are refused.
public func refusedPort() throws -> Int {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(fd) }
    guard bindLoopback(fd, port: 0) == 0 else { throw TestSocketError("bind") }
    return localPort(fd)
}

/// A TCP server on 127.0.0.1 standing in for a board that serves lines: one client at a time.
public final class TestTCPServer: @unchecked Sendable {
    public let port: Int
    private var listener: Int32
    private var client: Int32 = -1

    public init(port: Int = 0, backlog: Int32 = 8) throws {
        listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var one: Int32 = 1
        setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        guard bindLoopback(listener, port: port) == 0 else {
            Glibc.close(listener)
            throw TestSocketError("bind 127.0.0.1:\(port)")
        }
        guard listen(listener, backlog) == 0 else { throw TestSocketError("listen") }
        self.port = localPort(listener)
    }

    deinit { close() }

    /// Takes the next connection, waiting up to `seconds`.
    public func acceptClient(within seconds: Double = 10) -> Bool {
        var ready = pollfd(fd: listener, events: Int16(POLLIN), revents: 0)
        guard poll(&ready, 1, Int32(seconds * 1000)) == 1 else { return false }
        closeClient()
        client = Glibc.accept(listener, nil, nil)
        return client >= 0
    }

    @discardableResult
    public func send(_ bytes: [UInt8]) -> Bool {
        guard client >= 0 else { return false }
        return bytes.withUnsafeBytes { Glibc.send(client, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) } == bytes.count
    }

    @discardableResult
    public func send(_ text: String) -> Bool { send(Array(text.utf8)) }

    /// What the client sent, read until it holds `marker` or `seconds` pass.
    public func receive(until marker: String, within seconds: Double = 5) -> String {
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

    public func closeClient() {
        if client >= 0 { Glibc.close(client) }
        client = -1
    }

    /// Closes the connection and stops listening: the port refuses until a server opens it again.
    public func close() {
        closeClient()
        if listener >= 0 { Glibc.close(listener) }
        listener = -1
    }
}

/// A UDP socket on 127.0.0.1 that sends datagrams, from a port of its own.
public final class TestUDPSender {
    public let fd: Int32
    public let port: Int

    public init() throws {
        fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        guard bindLoopback(fd, port: 0) == 0 else { throw TestSocketError("bind") }
        port = localPort(fd)
    }

    deinit { close(fd) }

    @discardableResult
    public func send(_ text: String, to port: Int) -> Bool {
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

