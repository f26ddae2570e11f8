import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A deliberately plain WebSocket client over a blocking TCP socket, for tests: it sends the
/// exact handshake a test wants, keeps the raw response, and reads frames one by one, so
/// tests see what is on the wire rather than what a library makes of it.
public final class TestWebSocketClient {
    public struct Response {
        public var statusLine: String
        public var headers: [(name: String, value: String)]
        public var statusCode: Int { Int(statusLine.split(separator: " ").dropFirst().first ?? "") ?? 0 }

        public func values(_ name: String) -> [String] {
            headers.filter { $0.name.lowercased() == name.lowercased() }.map(\.value)
        }
    }

    public struct Frame {
        public var fin: Bool
        public var opcode: UInt8
        public var payload: [UInt8]
        public var text: String { String(decoding: payload, as: UTF8.self) }
    }

    public enum ClientError: Error, CustomStringConvertible {
        case connect(Int32), closed, timeout, badResponse(String)
        public var description: String {
            switch self {
            case .connect(let code): return "connect failed: \(String(cString: strerror(code)))"
            case .closed: return "connection closed by server"
            case .timeout: return "timed out waiting for the server"
            case .badResponse(let text): return "bad response: \(text)"
            }
        }
    }

    public let socket: Int32
    private var buffer: [UInt8] = []

    /// Connects to 127.0.0.1:`port`.
    public init(port: Int, receiveTimeout: TimeInterval = 10) throws {
        socket = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(socket, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard result == 0 else {
            let code = errno
            close(socket)
            throw ClientError.connect(code)
        }
        setReceiveTimeout(receiveTimeout)
    }

    deinit { close(socket) }

    public func setReceiveTimeout(_ seconds: TimeInterval) {
        var timeout = timeval(tv_sec: Int(seconds), tv_usec: Int((seconds - seconds.rounded(.down)) * 1_000_000))
        setsockopt(socket, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    }

    /// Shrinks the kernel receive buffer, to play a slow client.
    public func setReceiveBufferSize(_ bytes: Int32) {
        var size = bytes
        setsockopt(socket, SOL_SOCKET, SO_RCVBUF, &size, socklen_t(MemoryLayout<Int32>.size))
    }

    /// Sends a version-13 handshake for `path`, offering `protocols` (nil: no header at all).
    @discardableResult
    public func handshake(path: String = "/graph", protocols: [String]? = nil, extraHeaders: [String] = []) throws -> Response {
        var request = "GET \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        request += "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
        // The bridge's own page, unless the test says which page it is.
        if !extraHeaders.contains(where: { $0.lowercased().hasPrefix("origin:") }) { request += "Origin: http://127.0.0.1\r\n" }
        request += "User-Agent: sensorbridge-tests\r\n"
        if let protocols { request += "Sec-WebSocket-Protocol: \(protocols.joined(separator: ", "))\r\n" }
        for header in extraHeaders { request += header + "\r\n" }
        try send(Array((request + "\r\n").utf8))
        return try readResponseHead()
    }

    public func send(_ bytes: [UInt8]) throws {
        var offset = 0
        while offset < bytes.count {
            let sent = bytes[offset...].withUnsafeBytes { Glibc.send(socket, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if sent <= 0 { throw ClientError.closed }
            offset += sent
        }
    }

    /// Reads an HTTP response head (up to the blank line); what follows stays buffered.
    public func readResponseHead() throws -> Response {
        let end: Int
        while true {
            if let found = findHeadEnd() { end = found; break }
            try fill()
        }
        let text = String(decoding: buffer[0..<end], as: UTF8.self)
        buffer.removeFirst(end + 4)
        var lines = text.components(separatedBy: "\r\n")
        let statusLine = lines.removeFirst()
        let headers = lines.compactMap { line -> (String, String)? in
            guard let colon = line.firstIndex(of: ":") else { return nil }
            return (String(line[..<colon]), line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces))
        }
        return Response(statusLine: statusLine, headers: headers.map { (name: $0.0, value: $0.1) })
    }

    /// Reads the body of a plain HTTP response, by its Content-Length.
    public func readBody(_ response: Response) throws -> String {
        let length = Int(response.values("Content-Length").first ?? "0") ?? 0
        return String(decoding: try readBytes(length), as: UTF8.self)
    }

    /// Reads the rest of a plain HTTP response body of `length` bytes.
    public func readBytes(_ length: Int) throws -> [UInt8] {
        while buffer.count < length { try fill() }
        let bytes = Array(buffer[0..<length])
        buffer.removeFirst(length)
        return bytes
    }

    /// Reads one (unmasked, server-sent) frame.
    public func readFrame() throws -> Frame {
        try need(2)
        let first = buffer[0], second = buffer[1]
        precondition(second & 0x80 == 0, "a server must not mask its frames")
        var length = Int(second & 0x7F)
        var headerLength = 2
        if length == 126 {
            try need(4)
            length = Int(buffer[2]) << 8 | Int(buffer[3])
            headerLength = 4
        } else if length == 127 {
            try need(10)
            length = buffer[2..<10].reduce(0) { $0 << 8 | Int($1) }
            headerLength = 10
        }
        try need(headerLength + length)
        let payload = Array(buffer[headerLength..<(headerLength + length)])
        buffer.removeFirst(headerLength + length)
        return Frame(fin: first & 0x80 != 0, opcode: first & 0x0F, payload: payload)
    }

    /// Reads one hixie-76 text frame (`0x00 <UTF-8> 0xFF`); returns nil for the closing `0xFF 0x00`.
    public func readHixieFrame() throws -> String? {
        try need(2)
        if buffer[0] == 0xFF {
            precondition(buffer[1] == 0x00, "0xFF starts only the closing frame here")
            buffer.removeFirst(2)
            return nil
        }
        precondition(buffer[0] == 0x00, "a hixie-76 text frame starts with 0x00, got \(buffer[0])")
        var end = 1
        while true {
            if end == buffer.count { try fill() }
            if buffer[end] == 0xFF { break }
            end += 1
        }
        let text = String(decoding: buffer[1..<end], as: UTF8.self)
        buffer.removeFirst(end + 1)
        return text
    }

    /// Reads frames until a text frame arrives; answers nothing.
    public func readText() throws -> String {
        while true {
            let frame = try readFrame()
            if frame.opcode == 0x1 { return frame.text }
            if frame.opcode == 0x8 { throw ClientError.closed }
        }
    }

    /// Sends a masked frame, as a client must.
    public func sendFrame(opcode: UInt8, payload: [UInt8] = [], masked: Bool = true) throws {
        var frame: [UInt8] = [0x80 | opcode]
        let maskBit: UInt8 = masked ? 0x80 : 0
        if payload.count < 126 {
            frame.append(maskBit | UInt8(payload.count))
        } else {
            frame.append(maskBit | 126)
            frame.append(UInt8(payload.count >> 8))
            frame.append(UInt8(payload.count & 0xFF))
        }
        if masked {
            let mask: [UInt8] = [0x37, 0xFA, 0x21, 0x3D]
            frame.append(contentsOf: mask)
            frame.append(contentsOf: payload.enumerated().map { $0.element ^ mask[$0.offset % 4] })
        } else {
            frame.append(contentsOf: payload)
        }
        try send(frame)
    }

    /// True when the server has closed the TCP connection (reads return 0, or the connection was reset).
    public func waitForEOF() -> Bool {
        var scratch = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = scratch.withUnsafeMutableBytes { recv(socket, $0.baseAddress, $0.count, 0) }
            if count == 0 { return true }
            // A reset is also the server closing (it does so when unread bytes were left behind).
            if count < 0 { return errno == ECONNRESET }
        }
    }

    private func findHeadEnd() -> Int? {
        guard buffer.count >= 4 else { return nil }
        for index in 0...(buffer.count - 4)
        where buffer[index] == 13 && buffer[index + 1] == 10 && buffer[index + 2] == 13 && buffer[index + 3] == 10 {
            return index
        }
        return nil
    }

    private func need(_ count: Int) throws {
        while buffer.count < count { try fill() }
    }

    private func fill() throws {
        var chunk = [UInt8](repeating: 0, count: 16_384)
        let count = chunk.withUnsafeMutableBytes { recv(socket, $0.baseAddress, $0.count, 0) }
        if count == 0 { throw ClientError.closed }
        if count < 0 {
            if errno == EAGAIN || errno == EWOULDBLOCK { throw ClientError.timeout }
            throw ClientError.closed
        }
        buffer.append(contentsOf: chunk[0..<count])
    }
}
