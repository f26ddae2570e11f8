import Foundation
import Testing
import TestSupport
#if canImport(Glibc)
import Glibc
#endif

/// What the seed article learned with a capture program, the bridge tells by itself: every
/// handshake, accepted or refused, is logged at info and connected clients are listed in
/// `/api/status` with the same facts.
@Suite(.serialized) struct HandshakeInspectionTests {
    @Test func oldAndNewBrowsersAreLoggedAndListed() throws {
        // The captured browsers were on www.yahoo.co.jp's pages, so that origin is listed.
        let bridge = try BridgeProcess(["--replay", BridgeProcess.packageRoot + "/hardware/recordings/tilt-60s-50hz.log", "--loop",
                                        "--allow-origin", "http://www.yahoo.co.jp"])
        let safari5 = try TestWebSocketClient(port: bridge.port)
        try safari5.send(try CapturedHandshake("safari-5.1.7-windows.http").request(port: bridge.port))
        #expect(try safari5.readResponseHead().statusLine == "HTTP/1.1 101 WebSocket Protocol Handshake")
        _ = try safari5.readBytes(16)
        let chrome = try TestWebSocketClient(port: bridge.port)
        try chrome.send(try CapturedHandshake("chrome-20.http").request(port: bridge.port))
        #expect(try chrome.readResponseHead().statusCode == 101)
        // Both receive the stream, each in its own framing.
        #expect(decodeSample(try #require(try safari5.readHixieFrame()))?.count == 4)
        #expect(decodeSample(try chrome.readText())?.count == 4)

        let report = waitForStatus(bridge) { ($0["clients"] as? [Any])?.count == 2 }
        let clients = try #require(report["clients"] as? [[String: Any]])
        let hixie = try #require(clients.first { $0["protocol"] as? String == "hixie-76" })
        #expect(hixie["origin"] as? String == "http://www.yahoo.co.jp")
        #expect(hixie["version"] as? String == "0")
        let rfc = try #require(clients.first { $0["protocol"] as? String == "rfc6455" })
        #expect(rfc["extensions"] as? [String] == ["x-webkit-deflate-frame"])
        #expect(rfc["version"] as? String == "13")

        // A refused one is logged too, with its reason.
        let old = try TestWebSocketClient(port: bridge.port)
        try old.send(Array("GET /graph HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 6\r\nUser-Agent: OldBrowser/1\r\n\r\n".utf8))
        #expect(try old.readResponseHead().statusCode == 426)

        #expect(bridge.stop() == 0)
        let log = bridge.standardError
        #expect(log.contains("protocol=hixie-76"))
        #expect(log.contains("protocol=rfc6455"))
        #expect(log.contains("extensions=x-webkit-deflate-frame (none accepted)"))
        #expect(log.contains("origin=http://www.yahoo.co.jp"))
        #expect(log.contains("refused WebSocket handshake on /graph: 426 Sec-WebSocket-Version 6 is not spoken here"))
        #expect(log.contains("user-agent=OldBrowser/1"))
    }

    @Test func theHandshakeTimeoutIsAnOption() throws {
        let bridge = try BridgeProcess(["--replay", BridgeProcess.packageRoot + "/hardware/recordings/tilt-60s-50hz.log",
                                        "--handshake-timeout", "0.5"])
        let stalled = try TestWebSocketClient(port: bridge.port, receiveTimeout: 5)
        try stalled.send(Array("GET /graph HTTP/1.1\r\nHost: localhost\r\n".utf8))
        #expect(try stalled.readResponseHead().statusCode == 408)
        #expect(stalled.waitForEOF())
        #expect(bridge.stop() == 0)
        #expect(bridge.standardError.contains("no complete request within 0.5 s"))
    }
}
