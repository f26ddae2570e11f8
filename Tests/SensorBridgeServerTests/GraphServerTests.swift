import Foundation
import Logging
import NIOCore
import NIOPosix
import Testing
import TestSupport
@testable import SensorBridgeCore
@testable import SensorBridgeServer
@testable import SensorBridgeStream

/// The server in-process, on a real port, with samples published straight into the stream.
final class RunningServer {
    let stream: SensorStream
    let server: GraphServer
    var clients: GraphClients { server.clients }
    let layout = ChannelLayout.defaultNames(count: 3)

    init(capacity: Int = 1024, history: Double = 5, configure: (inout GraphServer.Configuration) -> Void = { _ in }) throws {
        var logger = Logger(label: "test")
        logger.logLevel = .warning
        stream = SensorStream(source: SourceStatus(kind: .serial, name: "unit", baud: 9600, state: .connected),
                              capacity: capacity, historySeconds: history)
        var configuration = GraphServer.Configuration(host: "127.0.0.1", port: 0)
        configure(&configuration)
        server = try GraphServer(clients: GraphClients(stream: stream), pages: .embedded(["/": (Array("<html>graph</html>".utf8), "text/html")]),
                                 configuration: configuration, logger: logger)
    }

    deinit { server.shutdown() }

    var port: Int { server.port }

    func publish(_ values: [Double], at micros: Int64 = WallClock.nowMicros()) {
        stream.publish(Sample(timeMicros: micros, values: values, layout: layout))
    }

    func client() throws -> TestWebSocketClient { try TestWebSocketClient(port: port) }

    /// Waits until the server lists `count` clients (a handshake completes before the client is registered).
    func waitForClients(_ count: Int) {
        let deadline = Date().addingTimeInterval(5)
        while clients.statusReport().clients.count != count && Date() < deadline { usleep(5_000) }
    }
}

private func numbers(_ text: String) throws -> [Double] {
    try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [Double])
}

private func object(_ text: String) throws -> [String: Any] {
    try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
}

@Suite(.serialized) struct GraphServerTests {
    @Test func originalPageOfferGetsChatAndTheSampleArrays() throws {
        let running = try RunningServer()
        let client = try running.client()
        let response = try client.handshake(protocols: ["soap", "chat"])
        #expect(response.statusCode == 101)
        #expect(response.values("Sec-WebSocket-Protocol") == ["chat"])
        #expect(response.values("Sec-WebSocket-Accept") == ["s3pPLMBiTxaQ9kYGzzhZRbK+xOo="])
        running.waitForClients(1)
        running.publish([512, 498, 620], at: 1_763_683_200_123_456)
        running.publish([-0.5, 1.5e2, 7])
        #expect(try client.readText() == "[1763683200123.456,512,498,620]")
        #expect(try numbers(try client.readText()).dropFirst() == [-0.5, 150, 7])
    }

    @Test(arguments: [nil, ["soap"], ["soap", "wamp.2.json"]] as [[String]?])
    func noUsableOfferMeansNoProtocolHeader(offer: [String]?) throws {
        let running = try RunningServer()
        let client = try running.client()
        let response = try client.handshake(protocols: offer)
        #expect(response.statusCode == 101)
        #expect(response.values("Sec-WebSocket-Protocol").isEmpty)
        running.waitForClients(1)
        running.publish([1, 2, 3])
        #expect(try numbers(try client.readText()).dropFirst() == [1, 2, 3])
    }

    @Test func twoClientsBothReceiveEverySample() throws {
        let running = try RunningServer(capacity: 4096)
        let first = try running.client()
        let second = try running.client()
        try first.handshake(protocols: ["chat"])
        try second.handshake()
        running.waitForClients(2)
        for index in 0..<1000 { running.publish([Double(index), 0, 0]) }
        for client in [first, second] {
            for index in 0..<1000 {
                #expect(try numbers(try client.readText())[1] == Double(index))
            }
        }
    }

    @Test func batchedStreamIsSelfDescribing() throws {
        let running = try RunningServer()
        running.publish([1, 2, 3])  // history
        let client = try running.client()
        let response = try client.handshake(protocols: ["sensorbridge.batch.v1"])
        #expect(response.values("Sec-WebSocket-Protocol") == ["sensorbridge.batch.v1"])
        let hello = try object(try client.readText())
        #expect(hello["type"] as? String == "hello")
        #expect(hello["channels"] as? [String] == ["x", "y", "z"])
        #expect(hello["history"] as? Int == 1)
        #expect(hello["seq"] as? Int == 0)
        #expect(hello["stream"] as? String == running.stream.streamID)
        #expect(hello["state"] as? String == "connected")
        let history = try object(try client.readText())
        #expect(history["type"] as? String == "samples")
        #expect(history["seq"] as? Int == 0)
        #expect((history["samples"] as? [[Double]])?.first?.dropFirst() == [1, 2, 3])
        running.waitForClients(1)
        running.stream.publish(Sample(timeMicros: WallClock.nowMicros(), values: [9, 8],
                                   layout: ChannelLayout(names: ["a", "b"], isNamedByDevice: true)))
        let channels = try object(try client.readText())
        #expect(channels["type"] as? String == "channels")
        #expect(channels["channels"] as? [String] == ["a", "b"])
        #expect(channels["seq"] as? Int == 1)
        let next = try object(try client.readText())
        #expect(next["seq"] as? Int == 1)
        running.stream.updateSource(state: .disconnected, detail: "unplugged")
        let status = try object(try client.readText())
        #expect(status["type"] as? String == "status")
        #expect(status["state"] as? String == "disconnected")
    }

    @Test func aSlowBatchedClientSkipsAheadAndIsToldHowManyItMissed() throws {
        let running = try RunningServer(capacity: 256)
        let client = try running.client()
        try client.handshake(protocols: ["sensorbridge.batch.v1"])
        _ = try client.readText()  // hello
        running.waitForClients(1)
        // Publish until the server stops writing to this client (its socket buffers are full),
        // then more than the ring holds: from then on the client cannot get everything.
        var total = 0
        var lastSent: UInt64 = 0
        var stalledRounds = 0
        while stalledRounds < 3 && total < 4_000_000 {
            for _ in 0..<5_000 { running.publish([Double(total), 0, 0]); total += 1 }
            usleep(20_000)
            let sent = running.clients.statusReport().clients.first?.samplesSent ?? 0
            stalledRounds = sent == lastSent ? stalledRounds + 1 : 0
            lastSent = sent
        }
        for _ in 0..<1_000 { running.publish([Double(total), 0, 0]); total += 1 }
        var received = 0
        var missed = 0
        var expectedSeq = 0
        var gaps = 0
        client.setReceiveTimeout(2)
        while received + missed < total {
            let message = try object(try client.readText())
            switch message["type"] as? String {
            case "gap":
                gaps += 1
                missed += message["missed"] as? Int ?? 0
                #expect(message["seq"] as? Int == expectedSeq + (message["missed"] as? Int ?? 0))
                expectedSeq = message["seq"] as? Int ?? expectedSeq
            case "samples":
                #expect(message["seq"] as? Int == expectedSeq, "samples continue where the last left off")
                let samples = message["samples"] as? [[Double]] ?? []
                for (offset, sample) in samples.enumerated() { #expect(sample[1] == Double(expectedSeq + offset)) }
                expectedSeq += samples.count
                received += samples.count
            case "channels":
                #expect(message["channels"] as? [String] == ["x", "y", "z"])
            default:
                Issue.record("unexpected message \(message)")
            }
        }
        #expect(gaps > 0, "a client that stopped reading for \(total) samples must have skipped")
        #expect(received + missed == total)
        let report = running.clients.statusReport().clients.first
        #expect(report?.samplesSkipped == UInt64(missed))
    }

    @Test func lateJoinersGetRecentHistoryOnly() throws {
        let running = try RunningServer(history: 5)
        let now = WallClock.nowMicros()
        for second in (0...9).reversed() { running.publish([Double(second), 0, 0], at: now - Int64(second) * 1_000_000) }
        let client = try running.client()
        try client.handshake()
        // Samples from 4, 3, 2, 1, 0 seconds ago (the one from exactly 5 s ago may be on either side).
        var first = try numbers(try client.readText())[1]
        if first == 5 { first = try numbers(try client.readText())[1] }
        #expect(first == 4)
        for expected in [3.0, 2, 1, 0] { #expect(try numbers(try client.readText())[1] == expected) }
    }

    @Test func pingIsAnsweredAndCloseIsCompleted() throws {
        let running = try RunningServer()
        let client = try running.client()
        try client.handshake()
        try client.sendFrame(opcode: 0x9, payload: Array("hi".utf8))
        let pong = try client.readFrame()
        #expect(pong.opcode == 0xA)
        #expect(pong.text == "hi")
        try client.sendFrame(opcode: 0x8, payload: [0x03, 0xE8])  // 1000
        let close = try client.readFrame()
        #expect(close.opcode == 0x8)
        #expect(close.payload == [0x03, 0xE8])
        #expect(client.waitForEOF())
    }

    @Test func unmaskedClientFrameIsAProtocolError() throws {
        let running = try RunningServer()
        let client = try running.client()
        try client.handshake()
        try client.sendFrame(opcode: 0x1, payload: Array("x".utf8), masked: false)
        let close = try client.readFrame()
        #expect(close.opcode == 0x8)
        #expect(close.payload.prefix(2) == [0x03, 0xEA])  // 1002
        #expect(String(decoding: close.payload.dropFirst(2), as: UTF8.self) == "client frames must be masked")
        #expect(client.waitForEOF())
    }

    @Test func shutdownClosesClientsWithGoingAway() throws {
        let running = try RunningServer()
        let client = try running.client()
        try client.handshake()
        running.waitForClients(1)
        running.server.shutdown()
        let close = try client.readFrame()
        #expect(close.opcode == 0x8)
        #expect(close.payload == [0x03, 0xE9] + Array("the bridge stopped".utf8))  // 1001, and why
    }

    @Test func plainHTTPRoutes() throws {
        let running = try RunningServer()
        running.publish([1, 2, 3])

        func get(_ path: String, extra: String = "") throws -> (TestWebSocketClient.Response, String) {
            let client = try running.client()
            try client.send(Array("GET \(path) HTTP/1.1\r\nHost: localhost\r\n\(extra)Connection: close\r\n\r\n".utf8))
            let response = try client.readResponseHead()
            let length = Int(response.values("Content-Length").first ?? "0") ?? 0
            return (response, String(decoding: try client.readBytes(length), as: UTF8.self))
        }

        let (page, html) = try get("/")
        #expect(page.statusCode == 200)
        #expect(html == "<html>graph</html>")
        #expect(try get("/nope").0.statusCode == 404)

        let (status, body) = try get("/api/status")
        #expect(status.statusCode == 200)
        let report = try object(body)
        #expect(report["samples"] as? Int == 0)  // counted by the decoder, not by publish
        #expect(report["channels"] as? [String] == ["x", "y", "z"])
        #expect(report["baud"] as? Int == 9600)
        #expect((report["source"] as? [String: Any])?["state"] as? String == "connected")

        let (plain, _) = try get("/graph")
        #expect(plain.statusCode == 426)
        #expect(plain.values("Sec-WebSocket-Version") == ["13, 8, 7"])

        let (oldDraft, _) = try get("/graph", extra: "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 5\r\n")
        #expect(oldDraft.statusCode == 426)

        let (wrongPath, _) = try get("/other", extra: "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n")
        #expect(wrongPath.statusCode == 404)
    }

    @Test func statusListsClientsWithTheirHandshakeFacts() throws {
        let running = try RunningServer()
        let client = try running.client()
        try client.handshake(protocols: ["soap", "chat"])
        running.waitForClients(1)
        let report = try #require(running.clients.statusReport().clients.first)
        #expect(report.offeredSubprotocols == ["soap", "chat"])
        #expect(report.subprotocol == "chat")
        #expect(report.version == "13")
        #expect(report.userAgent == "sensorbridge-tests")
        #expect(report.origin == "http://127.0.0.1")
    }
}

struct PageFilesTests {
    @Test func aFolderIsServedButNothingOutsideIt() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("pages-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        try Data("<p>edited</p>".utf8).write(to: folder.appendingPathComponent("index.html"))
        try Data("let x = 1".utf8).write(to: folder.appendingPathComponent("graph.js"))
        let pages = PageFiles.directory(folder.path)
        #expect(pages.file(for: "/").map { String(buffer: $0.body) } == "<p>edited</p>")
        #expect(pages.file(for: "/graph.js")?.contentType == "text/javascript; charset=utf-8")
        #expect(pages.file(for: "/../etc/passwd") == nil)
        #expect(pages.file(for: "/.hidden") == nil)
        #expect(pages.file(for: "/missing.css") == nil)
    }

    @Test func onlyRegularFilesInsideTheFolderNoLinkOut() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("pages-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder.appendingPathComponent("sub"), withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        try Data("body{}".utf8).write(to: folder.appendingPathComponent("style.css"))
        let manager = FileManager.default
        try manager.createSymbolicLink(atPath: folder.appendingPathComponent("leak.html").path, withDestinationPath: "/etc/passwd")
        try manager.createSymbolicLink(atPath: folder.appendingPathComponent("sub/up.css").path, withDestinationPath: "../style.css")
        try manager.createSymbolicLink(atPath: folder.appendingPathComponent("out").path, withDestinationPath: "/etc")
        #expect(mkfifo(folder.appendingPathComponent("pipe.js").path, 0o600) == 0)
        let pages = PageFiles.directory(folder.path)
        #expect(pages.file(for: "/leak.html") == nil)
        #expect(pages.file(for: "/out/passwd") == nil)
        #expect(pages.file(for: "/pipe.js") == nil)  // and it did not block on the FIFO
        #expect(pages.file(for: "/sub") == nil)
        #expect(pages.file(for: "/sub/up.css").map { String(buffer: $0.body) } == "body{}")
    }
}
