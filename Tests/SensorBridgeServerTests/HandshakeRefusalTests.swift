import Foundation
import NIOCore
import Testing
import TestSupport
@testable import SensorBridgeServer

/// A raw request and everything the server answers to it, up to its closing the connection.
private struct Exchange {
    let response: TestWebSocketClient.Response
    let body: String
    let closed: Bool

    init(_ request: String, port: Int) throws {
        let client = try TestWebSocketClient(port: port, receiveTimeout: 5)
        try client.send(Array(request.utf8))
        response = try client.readResponseHead()
        let length = Int(response.values("Content-Length").first ?? "0") ?? 0
        body = String(decoding: try client.readBytes(length), as: UTF8.self)
        closed = client.waitForEOF()
    }
}

private let validKey = "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
private let upgradeHeaders = "Host: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"

@Suite(.serialized) struct HandshakeRefusalTests {
    /// Missing, 0–6, 9–12, 14 and up, and nonsense: 426 naming the versions spoken.
    @Test(arguments: [nil, "0", "5", "6", "9", "12", "14", "255", "thirteen"] as [String?])
    func otherVersionsGet426WithTheVersionsSpoken(version: String?) throws {
        let running = try RunningServer()
        let versionHeader = version.map { "Sec-WebSocket-Version: \($0)\r\n" } ?? ""
        let exchange = try Exchange("GET /graph HTTP/1.1\r\n\(upgradeHeaders)\(validKey)\(versionHeader)\r\n", port: running.port)
        #expect(exchange.response.statusCode == 426)
        #expect(exchange.response.values("Sec-WebSocket-Version") == ["13, 8, 7"])
        #expect(exchange.body.contains("version 13"))
        #expect(exchange.closed)
        #expect(running.clients.statusReport().clients.isEmpty)
    }

    @Test func aPlainRequestForTheStreamGets426() throws {
        let running = try RunningServer()
        let exchange = try Exchange("GET /graph HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", port: running.port)
        #expect(exchange.response.statusCode == 426)
        #expect(exchange.response.values("Upgrade") == ["websocket"])
        #expect(exchange.body == "this is a WebSocket endpoint; the request is not a WebSocket upgrade (no Upgrade header)\n")
    }

    static let malformed: [(String, String, String)] = [
        ("no key", "GET /graph HTTP/1.1\r\n\(upgradeHeaders)Sec-WebSocket-Version: 13\r\n\r\n", "no Sec-WebSocket-Key"),
        ("short key", "GET /graph HTTP/1.1\r\n\(upgradeHeaders)Sec-WebSocket-Key: c2hvcnQ=\r\nSec-WebSocket-Version: 13\r\n\r\n",
         "Sec-WebSocket-Key must be 16 bytes"),
        ("key not base64", "GET /graph HTTP/1.1\r\n\(upgradeHeaders)Sec-WebSocket-Key: !!!!not*base64!!!!!!!!==\r\nSec-WebSocket-Version: 13\r\n\r\n",
         "Sec-WebSocket-Key must be 16 bytes"),
        ("two keys", "GET /graph HTTP/1.1\r\n\(upgradeHeaders)\(validKey)\(validKey)Sec-WebSocket-Version: 13\r\n\r\n",
         "more than one Sec-WebSocket-Key"),
        ("POST", "POST /graph HTTP/1.1\r\n\(upgradeHeaders)\(validKey)Sec-WebSocket-Version: 13\r\nContent-Length: 0\r\n\r\n",
         "must be a GET request, not POST"),
        ("no Host", "GET /graph HTTP/1.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\(validKey)Sec-WebSocket-Version: 13\r\n\r\n",
         "an HTTP/1.1 request must have a Host header"),
        ("HTTP/1.0", "GET /graph HTTP/1.0\r\n\(upgradeHeaders)\(validKey)Sec-WebSocket-Version: 13\r\n\r\n", "needs HTTP/1.1"),
        ("Connection without Upgrade", "GET /graph HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\nConnection: keep-alive\r\n\(validKey)Sec-WebSocket-Version: 13\r\n\r\n",
         "Connection header does not include Upgrade"),
        ("hixie key without spaces", "GET /graph HTTP/1.1\r\nHost: localhost\r\nUpgrade: WebSocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key1: 12345\r\nSec-WebSocket-Key2: 1 2\r\n\r\n12345678",
         "Sec-WebSocket-Key1 has no spaces"),
        ("hixie key not a multiple", "GET /graph HTTP/1.1\r\nHost: localhost\r\nUpgrade: WebSocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key1: 1 2\r\nSec-WebSocket-Key2: 1  1\r\n\r\n12345678",
         "Sec-WebSocket-Key2 is invalid: its number 11 is not a multiple of its 2 spaces"),
        ("hixie with one key", "GET /graph HTTP/1.1\r\nHost: localhost\r\nUpgrade: WebSocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key1: 1 2\r\n\r\n12345678",
         "needs exactly one Sec-WebSocket-Key1 and one Sec-WebSocket-Key2"),
        ("headers over the limit", "GET /graph HTTP/1.1\r\n\(upgradeHeaders)\(validKey)Sec-WebSocket-Version: 13\r\nX-Padding: \(String(repeating: "a", count: 20_000))\r\n\r\n",
         "request headers are larger than 16384 bytes"),
        ("not HTTP at all", "\u{16}\u{03}\u{01}\u{02}\u{00}\u{01}\u{00}\u{01}\u{fc}\u{03}\u{03}\r\n\r\n", "malformed HTTP request"),
    ]

    @Test(arguments: 0..<malformed.count)
    func malformedHandshakesGet400WithAOneLineReason(index: Int) throws {
        let (name, request, reason) = Self.malformed[index]
        let running = try RunningServer()
        let exchange = try Exchange(request, port: running.port)
        #expect(exchange.response.statusCode == 400, "\(name)")
        #expect(exchange.body.contains(reason), "\(name): \(exchange.body)")
        #expect(exchange.body.filter { $0 == "\n" }.count == 1, "\(name): one line")
        #expect(exchange.closed, "\(name)")
        // The server is unharmed: a good client still connects.
        let client = try running.client()
        #expect(try client.handshake().statusCode == 101)
    }

    @Test func hixieIsOnlyForTheGraph() throws {
        // The captured Opera was on another site's page: that origin is allowed here.
        let running = try RunningServer {
            $0.echoEndpoint = true
            $0.access = AccessPolicy(allowedOrigins: ["*"])
        }
        let fixture = try CapturedHandshake("opera-12.00-windows.http")
        let request = String(decoding: fixture.request(port: running.port), as: UTF8.self)
            .replacingOccurrences(of: "GET /graph ", with: "GET /echo ")
        let exchange = try Exchange(request, port: running.port)
        #expect(exchange.response.statusCode == 426)
    }

    @Test func anUpgradeToAnotherPathIsAnsweredThenClosed() throws {
        let running = try RunningServer()
        let exchange = try Exchange("GET /other HTTP/1.1\r\n\(upgradeHeaders)\(validKey)Sec-WebSocket-Version: 13\r\n\r\n", port: running.port)
        #expect(exchange.response.statusCode == 404)
        #expect(exchange.closed)
    }

    @Test func aClientThatStallsMidHandshakeIsDropped() throws {
        let running = try RunningServer { $0.handshakeTimeout = .milliseconds(300) }
        let client = try TestWebSocketClient(port: running.port, receiveTimeout: 5)
        try client.send(Array("GET /graph HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: webs".utf8))
        let started = Date()
        let response = try client.readResponseHead()
        #expect(response.statusCode == 408)
        #expect(client.waitForEOF())
        #expect(Date().timeIntervalSince(started) < 4)
    }

    @Test func aConnectionThatSendsNothingIsDropped() throws {
        let running = try RunningServer { $0.handshakeTimeout = .milliseconds(300) }
        let client = try TestWebSocketClient(port: running.port, receiveTimeout: 5)
        let response = try client.readResponseHead()
        #expect(response.statusCode == 408)
        #expect(client.waitForEOF())
    }

    @Test func aHixieClientThatNeverSendsKey3IsDropped() throws {
        let running = try RunningServer { $0.handshakeTimeout = .milliseconds(300) }
        let request = try CapturedHandshake("ios-5.1.1-safari.http").request(port: running.port)
        let client = try TestWebSocketClient(port: running.port, receiveTimeout: 5)
        try client.send(Array(request.dropLast(8)))
        #expect(client.waitForEOF())
        #expect(running.clients.statusReport().clients.isEmpty)
    }

    @Test func keepAliveClientsAreServedAgainAndTheTimerRestartsPerRequest() throws {
        let running = try RunningServer { $0.handshakeTimeout = .seconds(1) }
        let client = try TestWebSocketClient(port: running.port, receiveTimeout: 5)
        for _ in 0..<3 {
            usleep(500_000)  // each wait is well under the timeout, all three together are over it
            try client.send(Array("GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".utf8))
            let response = try client.readResponseHead()
            #expect(response.statusCode == 200)
            _ = try client.readBytes(Int(response.values("Content-Length").first ?? "0") ?? 0)
        }
    }
}
