import SensorBridgeStream
import Logging
import NIOCore
import NIOEmbedded
import NIOHTTP1
import NIOWebSocket
import Testing
@testable import SensorBridgeServer

/// The handlers one at a time on an `EmbeddedChannel`: no sockets, no threads, every
/// outbound part and every close seen exactly as the handler made it.
@Suite struct HandlerTests {
    private let log = ThrottledLog(logger: Logger(label: "test"))

    /// An embedded channel with `handler`, connected (active) as a real client's would be.
    private func connected(_ handler: ChannelHandler) throws -> EmbeddedChannel {
        let channel = EmbeddedChannel(handler: handler)
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 9)).wait()
        return channel
    }

    private func head(_ uri: String, headers: [(String, String)]) -> HTTPServerRequestPart {
        .head(HTTPRequestHead(version: .http1_1, method: .GET, uri: uri, headers: HTTPHeaders(headers)))
    }

    @Test func theGuardPassesAnAllowedRequestUntouched() throws {
        let channel = try connected(AccessGuard(policy: AccessPolicy(token: "t"), log: log))
        try channel.writeInbound(head("/graph?token=t", headers: [("Host", "localhost:8080"), ("Origin", "http://localhost:8080")]))
        try channel.writeInbound(HTTPServerRequestPart.end(nil))
        guard case .head(let passed)? = try channel.readInbound(as: HTTPServerRequestPart.self) else {
            Issue.record("the head did not pass")
            return
        }
        #expect(passed.uri == "/graph?token=t")
        #expect(try channel.readOutbound(as: HTTPServerResponsePart.self) == nil)
        #expect(channel.isActive)
    }

    @Test func theGuardAnswersARefusalAndSwallowsTheRestOfTheRequest() throws {
        let channel = try connected(AccessGuard(policy: AccessPolicy(), log: log))
        try channel.writeInbound(head("/graph", headers: [("Host", "localhost"), ("Origin", "http://evil.example")]))
        try channel.writeInbound(HTTPServerRequestPart.body(ByteBuffer(string: "more")))
        try channel.writeInbound(HTTPServerRequestPart.end(nil))
        #expect(try channel.readInbound(as: HTTPServerRequestPart.self) == nil, "nothing reaches the endpoints")
        guard case .head(let response)? = try channel.readOutbound(as: HTTPServerResponsePart.self) else {
            Issue.record("no response head")
            return
        }
        #expect(response.status == .forbidden)
        #expect(response.headers["Connection"] == ["close"])
        guard case .body(.byteBuffer(let body))? = try channel.readOutbound(as: HTTPServerResponsePart.self) else {
            Issue.record("no body")
            return
        }
        #expect(String(buffer: body).hasPrefix("pages from http://evil.example may not read this stream"))
        #expect(try channel.readOutbound(as: HTTPServerResponsePart.self) == .end(nil))
        channel.embeddedEventLoop.run()
        #expect(!channel.isActive, "closed once the answer is out")
    }

    private func frame(_ opcode: WebSocketOpcode, fin: Bool = true, _ text: String = "") -> WebSocketFrame {
        WebSocketFrame(fin: fin, opcode: opcode, maskKey: WebSocketMaskingKey([1, 2, 3, 4]), data: ByteBuffer(string: text))
    }

    private func closeCode(of channel: EmbeddedChannel) throws -> WebSocketErrorCode? {
        guard let close = try channel.readOutbound(as: WebSocketFrame.self), close.opcode == .connectionClose else { return nil }
        var data = close.data
        return data.readWebSocketErrorCode()
    }

    @Test func fragmentsMustBelongToAMessage() throws {
        let cases: [([WebSocketFrame], WebSocketErrorCode?)] = [
            ([frame(.text, fin: false, "a"), frame(.continuation, fin: false, "b"), frame(.continuation, "c")], nil),
            ([frame(.text, fin: false, "a"), frame(.ping), frame(.continuation, "c")], nil),  // control frames may interleave
            ([frame(.continuation, "lost")], .protocolError),
            ([frame(.text, fin: false, "a"), frame(.binary, "b")], .protocolError),
            ([frame(.ping, fin: false)], .protocolError),
        ]
        for (frames, expected) in cases {
            let channel = try connected(ClientFrameValidator())
            for frame in frames { try channel.writeInbound(frame) }
            channel.embeddedEventLoop.run()
            #expect(try closeCode(of: channel) == expected, "\(frames.map(\.opcode))")
            #expect(channel.isActive == (expected == nil))
        }
    }

    @Test func invalidUTF8TextIsClosedWith1007EvenAcrossFragments() throws {
        let channel = try connected(TextFrameUTF8Validator())
        // "é" is C3 A9: split across two fragments it is still valid…
        try channel.writeInbound(WebSocketFrame(fin: false, opcode: .text, data: ByteBuffer(bytes: [0x68, 0xC3])))
        try channel.writeInbound(WebSocketFrame(fin: true, opcode: .continuation, data: ByteBuffer(bytes: [0xA9])))
        #expect(try channel.readOutbound(as: WebSocketFrame.self) == nil)
        // …but C3 followed by 28 is not.
        try channel.writeInbound(WebSocketFrame(fin: true, opcode: .text, data: ByteBuffer(bytes: [0xC3, 0x28])))
        channel.embeddedEventLoop.run()
        #expect(try closeCode(of: channel) == .dataInconsistentWithMessage)
    }

    @Test func aSilentConnectionMakesRoomAndATalkingOneIsNeverDisplaced() throws {
        let limiter = ConnectionLimiter(maxConnections: 1, maxPerAddress: 10)
        let silent = try connected(ConnectionAdmission(limiter: limiter, log: log))
        let newcomer = try connected(ConnectionAdmission(limiter: limiter, log: log))
        silent.embeddedEventLoop.run()
        #expect(!silent.isActive, "the silent one gave way")
        #expect(newcomer.isActive)
        try newcomer.writeInbound(ByteBuffer(string: "GET / HTTP/1.1\r\n"))  // it speaks
        #expect(try newcomer.readInbound(as: ByteBuffer.self).map { String(buffer: $0) } == "GET / HTTP/1.1\r\n")
        // Full of a connection that talks: the next one is told so, at once, and closed.
        let third = try connected(ConnectionAdmission(limiter: limiter, log: log))
        third.embeddedEventLoop.run()
        #expect(newcomer.isActive)
        let answer = try third.readOutbound(as: ByteBuffer.self).map { String(buffer: $0) } ?? ""
        #expect(answer.hasPrefix("HTTP/1.1 503 Service Unavailable\r\n"))
        #expect(!third.isActive)
        #expect(limiter.open == 1)
    }
}
