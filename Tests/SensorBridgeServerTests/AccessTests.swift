import Foundation
import NIOCore
import Synchronization
import Testing
import TestSupport
@testable import SensorBridgeServer

/// Who may watch, and what a client that misbehaves gets, on real sockets.
@Suite(.serialized) struct AccessTests {
    private func upgrade(_ running: RunningServer, host: String, origin: String?, path: String = "/graph",
                         extra: String = "") throws -> (TestWebSocketClient, TestWebSocketClient.Response) {
        let client = try running.client()
        var request = "GET \(path) HTTP/1.1\r\nHost: \(host)\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n" + extra
        if let origin { request += "Origin: \(origin)\r\n" }
        try client.send(Array((request + "\r\n").utf8))
        return (client, try client.readResponseHead())
    }

    private func get(_ running: RunningServer, _ raw: String) throws -> (TestWebSocketClient.Response, String) {
        let client = try running.client()
        try client.send(Array(raw.utf8))
        let response = try client.readResponseHead()
        return (response, try client.readBody(response))
    }

    @Test func anotherSitesPageIsRefusedBeforeAnySample() throws {
        let running = try RunningServer()
        running.publish([1, 2, 3])
        let (client, response) = try upgrade(running, host: "127.0.0.1:\(running.port)", origin: "http://evil.example")
        #expect(response.statusCode == 403)
        #expect(try client.readBody(response) == "pages from http://evil.example may not read this stream; start the bridge with --allow-origin http://evil.example to allow them\n")
        #expect(client.waitForEOF())
        #expect(running.clients.statusReport().clients.isEmpty)
    }

    @Test func theOwnPageAndToolsWithoutOriginConnect() throws {
        let running = try RunningServer()
        let (page, pageResponse) = try upgrade(running, host: "127.0.0.1:\(running.port)", origin: "http://127.0.0.1:\(running.port)")
        #expect(pageResponse.statusCode == 101)
        let (tool, toolResponse) = try upgrade(running, host: "localhost:\(running.port)", origin: nil)
        #expect(toolResponse.statusCode == 101)
        running.waitForClients(2)
        running.publish([4, 5, 6])
        #expect(try page.readFrame().text.hasSuffix(",4,5,6]"))
        #expect(try tool.readFrame().text.hasSuffix(",4,5,6]"))
    }

    @Test func aListedOriginConnectsAndTheDraftOriginHeaderIsCheckedToo() throws {
        let running = try RunningServer { $0.access = AccessPolicy(allowedOrigins: ["https://dash.example"]) }
        #expect(try upgrade(running, host: "localhost", origin: "https://dash.example").1.statusCode == 101)
        let (_, draft) = try upgrade(running, host: "localhost", origin: nil,
                                     extra: "Sec-WebSocket-Origin: http://evil.example\r\n")
        #expect(draft.statusCode == 403)
    }

    @Test func aRebindingHostIsRefusedOnEveryPath() throws {
        let running = try RunningServer()
        for path in ["/api/status", "/", "/graph"] {
            let (response, body) = try get(running, "GET \(path) HTTP/1.1\r\nHost: attacker.example:\(running.port)\r\n\r\n")
            #expect(response.statusCode == 421)
            #expect(body.contains("does not answer to the name 'attacker.example'"))
        }
        let (noHost, reason) = try get(running, "GET / HTTP/1.1\r\n\r\n")
        #expect(noHost.statusCode == 400)
        #expect(reason.contains("must have a Host header"))
        #expect(try get(running, "GET / HTTP/1.0\r\n\r\n").0.statusCode == 200)
    }

    @Test func theTokenIsRequiredAndAcceptedByQueryOrHeader() throws {
        let running = try RunningServer { $0.access = AccessPolicy(token: "t0ken") }
        #expect(try upgrade(running, host: "localhost", origin: nil).1.statusCode == 401)
        #expect(try upgrade(running, host: "localhost", origin: nil, path: "/graph?token=nope").1.statusCode == 401)
        let (client, response) = try upgrade(running, host: "localhost", origin: nil, path: "/graph?token=t0ken")
        #expect(response.statusCode == 101)
        running.waitForClients(1)
        running.publish([7, 8, 9])
        #expect(try client.readFrame().text.hasSuffix(",7,8,9]"))
        #expect(try get(running, "GET /api/status HTTP/1.1\r\nHost: localhost\r\n\r\n").0.statusCode == 401)
        #expect(try get(running, "GET /api/status HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer t0ken\r\n\r\n").0.statusCode == 200)
        #expect(try get(running, "GET / HTTP/1.1\r\nHost: localhost\r\n\r\n").0.statusCode == 200)
    }

    @Test func everyAnswerCarriesTheSecurityHeaders() throws {
        let running = try RunningServer()
        for raw in ["GET / HTTP/1.1\r\nHost: localhost\r\n\r\n", "GET /nope HTTP/1.1\r\nHost: localhost\r\n\r\n",
                    "GET / HTTP/1.1\r\nHost: evil.example\r\n\r\n"] {
            let (response, _) = try get(running, raw)
            #expect(response.values("X-Content-Type-Options") == ["nosniff"])
            #expect(response.values("X-Frame-Options") == ["DENY"])
            #expect(response.values("Content-Security-Policy").first?.contains("frame-ancestors 'none'") == true)
            #expect(response.values("Referrer-Policy") == ["no-referrer"])
        }
    }

    @Test func aClientPastTheCapGets503UntilOneLeaves() throws {
        let running = try RunningServer { $0.maxClients = 2 }
        let first = try running.client()
        #expect(try first.handshake().statusCode == 101)
        let second = try running.client()
        #expect(try second.handshake().statusCode == 101)
        let third = try running.client()
        let refused = try third.handshake()
        #expect(refused.statusCode == 503)
        #expect(refused.values("Retry-After") == ["5"])
        #expect(try third.readBody(refused).contains("maximum of 2 clients"))
        try first.sendFrame(opcode: 0x8, payload: [0x03, 0xE8])
        _ = try first.readFrame()
        running.waitForClients(1)
        let fourth = try running.client()
        #expect(try fourth.handshake().statusCode == 101)
    }

    @Test func graphClosesInvalidUTF8With1007AndOrphanContinuationsWith1002() throws {
        let running = try RunningServer()
        let text = try running.client()
        #expect(try text.handshake().statusCode == 101)
        try text.sendFrame(opcode: 0x1, payload: [0x68, 0xC3, 0x28])
        let close1007 = try text.readFrame()
        #expect(close1007.opcode == 0x8)
        #expect(Array(close1007.payload.prefix(2)) == [0x03, 0xEF])
        #expect(text.waitForEOF())

        let orphan = try running.client()
        #expect(try orphan.handshake().statusCode == 101)
        try orphan.sendFrame(opcode: 0x0, payload: Array("lost".utf8))
        let close1002 = try orphan.readFrame()
        #expect(close1002.opcode == 0x8)
        #expect(Array(close1002.payload.prefix(2)) == [0x03, 0xEA])
        #expect(orphan.waitForEOF())
    }

    @Test func aStalledClientIsEvictedWhileAReadingOneGetsEverySample() throws {
        let running = try RunningServer(capacity: 1 << 16) { $0.clientTimeout = .seconds(2) }
        let stalled = try running.client()
        stalled.setReceiveBufferSize(4096)
        #expect(try stalled.handshake().statusCode == 101)
        // The reader lives on its own thread (it must read while samples are published).
        let total = 8_000
        let received = Mutex<[Double]>([])
        let connected = DispatchSemaphore(value: 0)
        let done = DispatchSemaphore(value: 0)
        let release = DispatchSemaphore(value: 0)
        defer { release.signal() }
        let port = running.port
        Thread {
            guard let reader = try? TestWebSocketClient(port: port), (try? reader.handshake().statusCode) == 101 else {
                connected.signal()
                done.signal()
                return
            }
            connected.signal()
            while received.withLock({ $0.count }) < total, let frame = try? reader.readFrame(), frame.opcode == 0x1 {
                if let values = try? JSONSerialization.jsonObject(with: Data(frame.payload)) as? [Double] {
                    received.withLock { $0.append(values[1]) }
                }
            }
            done.signal()
            release.wait()  // stays connected until the test has looked at the status
        }.start()
        connected.wait()
        running.waitForClients(2)

        // ~8 MB of samples over ~4 s: far more than the stalled client's buffers hold.
        let padding = [Double](repeating: 123456.789, count: 60)
        for index in 0..<total {
            running.publish([Double(index)] + padding)
            if index % 200 == 199 { usleep(100_000) }
        }
        #expect(done.wait(timeout: .now() + 20) == .success)
        #expect(received.withLock { $0 } == (0..<total).map(Double.init))

        let deadline = Date().addingTimeInterval(10)
        while running.clients.statusReport().clientsEvicted == 0 && Date() < deadline { usleep(50_000) }
        let report = running.clients.statusReport()
        #expect(report.clientsEvicted == 1)
        #expect(report.clients.count == 1)
        #expect(stalled.waitForEOF())
    }

    @Test func statusCountsWhatAStuckClientHasAlreadyLost() throws {
        let running = try RunningServer(capacity: 64) { $0.clientTimeout = .seconds(60) }
        let stuck = try running.client()
        stuck.setReceiveBufferSize(1024)
        #expect(try stuck.handshake().statusCode == 101)
        running.waitForClients(1)
        let padding = [Double](repeating: 123456.789, count: 30)
        for index in 0..<20_000 { running.publish([Double(index)] + padding) }
        usleep(300_000)
        let client = try #require(running.clients.statusReport().clients.first)
        #expect(client.samplesSent + client.samplesSkipped + client.samplesBehind == 20_000)
        #expect(client.samplesSkipped > 10_000)
    }
}
