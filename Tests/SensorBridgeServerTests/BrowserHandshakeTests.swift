import Foundation
import Testing
import TestSupport
@testable import SensorBridgeServer

/// The answers, computed outside this project (Python's hashlib) from the captured keys:
/// base64(SHA-1(key + GUID)) for RFC 6455, MD5(key1/spaces, key2/spaces, key3) for hixie-76.
private let rfc6455Accepts = [
    "chrome-20.http": "CuCejrWlzRUBPPOT7ClmZ1I7RCE=",
    "firefox-14.http": "xcr+YuFmi4tg3v8k6polejEBnHw=",
    "safari-6-mountain-lion.http": "LUsQSwU9OXdW0D9fKIgr4eqmx7Q=",
    "opera-12.50.http": "tNTRXzAonNIOhfgAKZdPWoDwfho=",
    "android-chrome-18.http": "UyfZaRf9r00dHRe+cAdfyypOtcQ=",
    "android-firefox-15.http": "JNwHHrUwIhwL6CyW3/EqiTNwHYM=",
    "ios-6.0-safari.http": "Miu3tV7MY3KGk1mvmWDW/39jQv4=",
]

private let hixieAnswers = [
    "opera-12.00-windows.http": "c323926efb51006fbe944b23a6320237",
    "safari-5.1.7-windows.http": "ec749d06e9633eb2d0e85ecb467783df",
    "android-opera-mobile-12.0.4.http": "7c09d2261788e2a5e1c6ddfd23105753",
    "ios-5.1.1-safari.http": "5d2a2774be3293a49bee21fa02cb1524",
    // The draft's own worked example: the ASCII text 8jKS'y:G*Co,Wxa-
    "hixie-76-draft-example.http": "386a4b5327793a472a436f2c5778612d",
]

private func hex(_ bytes: [UInt8]) -> String { bytes.map { String(format: "%02x", $0) }.joined() }

/// Every file the fixtures' index lists, and the draft example.
private let allFixtures: [String] = {
    let index = try? JSONSerialization.jsonObject(
        with: Data(contentsOf: URL(fileURLWithPath: CapturedHandshake.folder + "/index.json"))) as? [[String: String]]
    return (index ?? []).compactMap { $0["file"] } + ["hixie-76-draft-example.http"]
}()

/// The captured browsers were on other sites' pages (their Origin headers say which), so the
/// server under test lists those origins, as a user would with `--allow-origin`.
private let fixtureOrigins: [String] = allFixtures.compactMap { try? CapturedHandshake($0).header("Origin") } + ["http://draft.example"]

extension RunningServer {
    static func allowingFixtureOrigins() throws -> RunningServer {
        try RunningServer { $0.access = AccessPolicy(allowedOrigins: fixtureOrigins) }
    }
}

@Suite(.serialized) struct BrowserHandshakeTests {
    @Test(arguments: ["chrome-20.http", "safari-5.1.7-windows.http"])
    func aCapturedBrowserOnAnotherSitesPageIsRefusedByDefault(file: String) throws {
        let fixture = try CapturedHandshake(file)
        let running = try RunningServer()
        let client = try running.client()
        try client.send(fixture.request(port: running.port))
        let response = try client.readResponseHead()
        #expect(response.statusCode == 403)
        let origin = try #require(fixture.header("Origin"))
        #expect(try client.readBody(response).contains("pages from \(origin) may not read this stream"))
        running.publish([1, 2, 3])
        #expect(client.waitForEOF())
        #expect(running.clients.statusReport().clients.isEmpty)
    }

    @Test func theFixturesAreAllThere() {
        #expect(allFixtures.count == 12)
        #expect(Set(allFixtures) == Set(rfc6455Accepts.keys).union(hixieAnswers.keys))
    }

    @Test(arguments: allFixtures)
    func everyCapturedBrowserConnectsAndReceivesTheStream(file: String) throws {
        let fixture = try CapturedHandshake(file)
        let running = try RunningServer.allowingFixtureOrigins()
        let client = try running.client()
        try client.send(fixture.request(port: running.port))
        let response = try client.readResponseHead()

        if let accept = rfc6455Accepts[file] {
            #expect(response.statusLine == "HTTP/1.1 101 Switching Protocols")
            #expect(response.values("Sec-WebSocket-Accept") == [accept])
            #expect(response.values("Upgrade").map { $0.lowercased() } == ["websocket"])
            #expect(response.values("Connection").map { $0.lowercased() } == ["upgrade"])
            #expect(response.values("Sec-WebSocket-Protocol").isEmpty)
            // x-webkit-deflate-frame (Chrome 20, Safari 6, iOS 6) is not implemented, so not echoed.
            #expect(response.values("Sec-WebSocket-Extensions").isEmpty)
            running.waitForClients(1)
            running.publish([512, 498, 620])
            let frame = try client.readFrame()
            #expect(frame.opcode == 0x1 && frame.fin)
            #expect(frame.text.hasSuffix(",512,498,620]"))
        } else {
            let answer = try #require(hixieAnswers[file])
            #expect(response.statusLine == "HTTP/1.1 101 WebSocket Protocol Handshake")
            #expect(response.values("Upgrade") == ["WebSocket"])
            #expect(response.values("Connection") == ["Upgrade"])
            #expect(response.values("Sec-WebSocket-Origin") == [try #require(fixture.header("Origin"))])
            #expect(response.values("Sec-WebSocket-Location") == ["ws://127.0.0.1:\(running.port)/graph"])
            // The draft example offers "sample", which the bridge does not speak: no header.
            #expect(response.values("Sec-WebSocket-Protocol").isEmpty)
            #expect(hex(try client.readBytes(16)) == answer)
            running.waitForClients(1)
            running.publish([512, 498, 620])
            let text = try #require(try client.readHixieFrame())
            #expect(text.hasSuffix(",512,498,620]"))
        }
        let listed = try #require(running.clients.statusReport().clients.first)
        #expect(listed.protocol == (rfc6455Accepts[file] != nil ? "rfc6455" : "hixie-76"))
        #expect(listed.origin == fixture.header("Origin"))
        #expect(listed.userAgent == fixture.header("User-Agent"))
        #expect(listed.extensions == (fixture.header("Sec-WebSocket-Extensions").map { [$0] } ?? []))
    }

    @Test(arguments: [8, 7])
    func hybiDraftsConnectWithTheirOriginHeader(version: Int) throws {
        let running = try RunningServer.allowingFixtureOrigins()
        let client = try running.client()
        try client.send(Array((
            "GET /graph HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: \(version)\r\n"
                + "Sec-WebSocket-Origin: http://draft.example\r\nSec-WebSocket-Protocol: chat\r\n"
                + "Sec-WebSocket-Extensions: deflate-stream\r\n\r\n").utf8))
        let response = try client.readResponseHead()
        #expect(response.statusCode == 101)
        #expect(response.values("Sec-WebSocket-Accept") == ["s3pPLMBiTxaQ9kYGzzhZRbK+xOo="])
        #expect(response.values("Sec-WebSocket-Protocol") == ["chat"])
        #expect(response.values("Sec-WebSocket-Extensions").isEmpty)
        running.waitForClients(1)
        running.publish([1, 2, 3])
        #expect(try client.readFrame().text.hasSuffix(",1,2,3]"))
        let listed = try #require(running.clients.statusReport().clients.first)
        #expect(listed.protocol == "hybi-0\(version)")
        #expect(listed.version == "\(version)")
        #expect(listed.origin == "http://draft.example")
        #expect(listed.extensions == ["deflate-stream"])
    }

    @Test func hixieClientOfferingChatGetsItAndCanClose() throws {
        let running = try RunningServer.allowingFixtureOrigins()
        let fixture = try CapturedHandshake("safari-5.1.7-windows.http")
        var request = fixture.request(port: running.port)
        let headEnd = request.count - 8 - 2
        request.insert(contentsOf: Array("Sec-WebSocket-Protocol: chat\r\n".utf8), at: headEnd)
        let client = try running.client()
        try client.send(request)
        let response = try client.readResponseHead()
        #expect(response.values("Sec-WebSocket-Protocol") == ["chat"])
        _ = try client.readBytes(16)
        running.waitForClients(1)
        #expect(running.clients.statusReport().clients.first?.subprotocol == "chat")
        // The closing handshake: 0xFF 0x00 answered with 0xFF 0x00, then the server closes.
        try client.send([0xFF, 0x00])
        #expect(try client.readHixieFrame() == nil)
        #expect(client.waitForEOF())
        running.waitForClients(0)
        #expect(running.clients.statusReport().clients.isEmpty)
    }

    @Test func hixieKey3ArrivingLaterStillGetsTheAnswer() throws {
        let running = try RunningServer.allowingFixtureOrigins()
        let fixture = try CapturedHandshake("hixie-76-draft-example.http")
        let request = fixture.request(port: running.port)
        let key3 = Array(request.suffix(8))
        let client = try running.client()
        try client.send(Array(request.dropLast(8)))
        usleep(100_000)
        try client.send(Array(key3.prefix(3)))
        usleep(50_000)
        try client.send(Array(key3.suffix(5)))
        _ = try client.readResponseHead()
        #expect(String(decoding: try client.readBytes(16), as: UTF8.self) == "8jKS'y:G*Co,Wxa-")
    }

    @Test func shutdownClosesHixieClientsWithTheirClosingFrame() throws {
        let running = try RunningServer.allowingFixtureOrigins()
        let client = try running.client()
        try client.send(try CapturedHandshake("ios-5.1.1-safari.http").request(port: running.port))
        _ = try client.readResponseHead()
        _ = try client.readBytes(16)
        running.waitForClients(1)
        running.server.shutdown()
        #expect(try client.readHixieFrame() == nil)
        #expect(client.waitForEOF())
    }
}
