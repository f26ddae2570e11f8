import SensorBridgeStream
import Foundation
import Logging
import NIOCore
import NIOEmbedded
import NIOHTTP1
import NIOWebSocket
import Testing
@testable import SensorBridgeCore
@testable import SensorBridgeServer
@testable import SensorBridgeStream

/// A connection's whole pipeline, as the server builds it, on an `EmbeddedChannel`: the HTTP
/// handlers must make way for the WebSocket ones without losing a byte the client sent right
/// behind its request (a hixie-76 key3, an early frame), and a request that is not an upgrade
/// must leave the pipeline as it was.
@Suite struct PipelineRebuildTests {
    private let stream = SensorStream(
        source: SourceStatus(kind: .serial, name: "unit", baud: nil, state: .connected), capacity: 64)

    private func connection(_ clients: GraphClients) throws -> EmbeddedChannel {
        let channel = EmbeddedChannel()
        let configuration = GraphServer.Configuration()
        let logger = Logger(label: "test")
        try GraphServer.initialize(
            channel, sources: BridgeSources([clients]), pages: .embedded(["/": (Array("<html>graph</html>".utf8), "text/html")]),
            configuration: configuration, logger: logger, log: ThrottledLog(logger: logger),
            slots: ClientSlots(limit: 10), limiter: ConnectionLimiter(maxConnections: 100, maxPerAddress: 10)
        ).wait()
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 9)).wait()
        return channel
    }

    /// Everything written to the client so far, as one byte string.
    private func written(_ channel: EmbeddedChannel) throws -> [UInt8] {
        channel.embeddedEventLoop.advanceTime(by: GraphClients.defaultGatherDelay)
        var bytes: [UInt8] = []
        while let part = try channel.readOutbound(as: IOData.self) {
            guard case .byteBuffer(let buffer) = part else {
                Issue.record("a file region on a WebSocket connection")
                continue
            }
            bytes += buffer.readableBytesView
        }
        return bytes
    }

    private func handlerNames(_ channel: EmbeddedChannel) -> [String] {
        // The pipeline's description lists one handler per line, by type.
        String(describing: channel.pipeline).split(separator: "\n").map(String.init)
    }

    /// The response head and what follows its blank line.
    private func split(_ bytes: [UInt8]) throws -> (head: String, rest: [UInt8]) {
        let end = Array("\r\n\r\n".utf8)
        let index = try #require(bytes.indices.first { bytes[$0...].starts(with: end) })
        return (String(decoding: bytes[..<index], as: UTF8.self), Array(bytes[(index + 4)...]))
    }

    private func maskedFrame(opcode: UInt8, payload: [UInt8]) -> [UInt8] {
        let mask: [UInt8] = [0x12, 0x34, 0x56, 0x78]
        return [0x80 | opcode, 0x80 | UInt8(payload.count)] + mask
            + payload.enumerated().map { $0.element ^ mask[$0.offset % 4] }
    }

    @Test func anRFC6455UpgradeHandsAFrameSentWithTheRequestToTheWebSocketSide() throws {
        let clients = GraphClients(stream: stream)
        let channel = try connection(clients)
        let request = "GET /graph HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
            + "Sec-WebSocket-Protocol: chat\r\n\r\n"
        // The request and a ping in one segment: the ping is read by the HTTP decoder first.
        try channel.writeInbound(ByteBuffer(bytes: Array(request.utf8) + maskedFrame(opcode: 0x9, payload: Array("hi".utf8))))
        let (head, rest) = try split(try written(channel))
        #expect(head.hasPrefix("HTTP/1.1 101 Switching Protocols"))
        #expect(head.contains("Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo="))
        #expect(head.contains("Sec-WebSocket-Protocol: chat"))
        #expect(rest == [0x8A, 2] + Array("hi".utf8), "the early ping is answered")

        let names = handlerNames(channel).joined(separator: "\n")
        #expect(!names.contains("HTTPRequestDecoder") && !names.contains("HTTPResponseEncoder"))
        #expect(!names.contains("WebSocketUpgradeHandler") && !names.contains("HTTPHandler"))
        #expect(names.contains("WebSocketFrameDecoder") && names.contains("GraphClientHandler"))

        stream.publish(Sample(timeMicros: 2_000, values: [1, 2, 3], layout: ChannelLayout.defaultNames(count: 3)))
        let text = "[2.000,1,2,3]"
        #expect(try written(channel) == [0x81, UInt8(text.utf8.count)] + Array(text.utf8))
        #expect(clients.statusReport().clients.count == 1)
    }

    @Test func aHixie76KeyThatArrivesLaterStillCompletesTheUpgrade() throws {
        let channel = try connection(GraphClients(stream: stream))
        let request = "GET /graph HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: Upgrade\r\n"
            + "Sec-WebSocket-Key2: 12998 5 Y3 1  .P00\r\nUpgrade: WebSocket\r\n"
            + "Sec-WebSocket-Key1: 4 @1  46546xW%0l 1 5\r\nOrigin: http://127.0.0.1\r\n\r\n"
        // Four of the eight key3 bytes with the request, the rest in a later segment.
        try channel.writeInbound(ByteBuffer(bytes: Array(request.utf8) + Array("^n:d".utf8)))
        #expect(try written(channel).isEmpty, "no answer before the whole key3")
        try channel.writeInbound(ByteBuffer(string: "s[4U"))
        let (head, rest) = try split(try written(channel))
        #expect(head.hasPrefix("HTTP/1.1 101 WebSocket Protocol Handshake"))
        #expect(rest.prefix(16) == ArraySlice("8jKS'y:G*Co,Wxa-".utf8), "the draft's own example answer")
        let names = handlerNames(channel).joined(separator: "\n")
        #expect(names.contains("HixieFrameCodec") && !names.contains("HTTPRequestDecoder"))
    }

    @Test func aPlainRequestLeavesTheHTTPPipelineInPlace() throws {
        let channel = try connection(GraphClients(stream: stream))
        let before = handlerNames(channel)
        try channel.writeInbound(ByteBuffer(string: "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"))
        let (head, rest) = try split(try written(channel))
        #expect(head.hasPrefix("HTTP/1.1 200 OK"))
        #expect(rest == Array("<html>graph</html>".utf8))
        #expect(handlerNames(channel) == before)
        // And the next request on the same connection can still be an upgrade.
        try channel.writeInbound(ByteBuffer(string: "GET /graph HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
            + "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"))
        let (upgrade, _) = try split(try written(channel))
        #expect(upgrade.hasPrefix("HTTP/1.1 101 Switching Protocols"))
        #expect(!upgrade.contains("Sec-WebSocket-Protocol"), "no subprotocol offered, none answered")
    }
}
