import NIOCore
import NIOHTTP1
import NIOWebSocket
import Testing
import TestSupport
@testable import SensorBridgeServer

/// The handshake and framing rules as pure functions, on the examples the specifications give.
struct HandshakeRuleTests {
    @Test func acceptValueIsRFC6455sExample() {
        // RFC 6455 §1.3.
        #expect(HybiHandshake.acceptValue(forKey: "dGhlIHNhbXBsZSBub25jZQ==") == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=")
    }

    @Test func hixieKeyNumbersAndAnswerAreTheDraftsExample() throws {
        // draft-hixie-thewebsocketprotocol-76 §1.3 and §5.2.
        #expect(try Hixie76Handshake.keyNumber("4 @1  46546xW%0l 1 5").get() == 829_309_203)
        #expect(try Hixie76Handshake.keyNumber("12998 5 Y3 1  .P00").get() == 259_970_620)
        var head = HTTPRequestHead(version: .http1_1, method: .GET, uri: "/demo")
        head.headers.add(name: "Sec-WebSocket-Key1", value: "4 @1  46546xW%0l 1 5")
        head.headers.add(name: "Sec-WebSocket-Key2", value: "12998 5 Y3 1  .P00")
        head.headers.add(name: "Origin", value: "http://example.com")
        head.headers.add(name: "Sec-WebSocket-Protocol", value: "chat")
        guard case .hixie76(let handshake) = Hixie76Handshake.evaluate(head, host: "example.com") else {
            Issue.record("the draft's example is a valid hixie-76 handshake")
            return
        }
        #expect(handshake.answer(key3: Array("^n:ds[4U".utf8)) == Array("8jKS'y:G*Co,Wxa-".utf8))
        let response = String(decoding: handshake.response(key3: Array("^n:ds[4U".utf8)), as: UTF8.self)
        #expect(response == "HTTP/1.1 101 WebSocket Protocol Handshake\r\nUpgrade: WebSocket\r\nConnection: Upgrade\r\n"
            + "Sec-WebSocket-Origin: http://example.com\r\nSec-WebSocket-Location: ws://example.com/demo\r\n"
            + "Sec-WebSocket-Protocol: chat\r\n\r\n8jKS'y:G*Co,Wxa-")
    }

    @Test(arguments: [
        ("12345", "has no spaces"),
        ("1 1 1", "not a multiple"),
        ("9999999999999999999999 1", "too many digits"),
        ("8589934592 x", "exceeds 32 bits"),  // 2^33 with one space
    ])
    func badHixieKeysSayWhy(key: String, problem: String) {
        switch Hixie76Handshake.keyNumber(key) {
        case .success(let number): Issue.record("\(key) was accepted as \(number)")
        case .failure(let failure): #expect(failure.reason.contains(problem))
        }
    }

    @Test func theVersionDecidesTheFamily() {
        func verdict(_ headers: [(String, String)]) -> WebSocketHandshake.Verdict {
            var head = HTTPRequestHead(version: .http1_1, method: .GET, uri: "/graph")
            head.headers.add(contentsOf: [("Host", "h"), ("Upgrade", "WebSocket"), ("Connection", "keep-alive, Upgrade")] + headers)
            return WebSocketHandshake.evaluate(head)
        }
        let key = ("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ==")
        for version in [13, 8, 7] {
            guard case .hybi(let handshake) = verdict([key, ("Sec-WebSocket-Version", "\(version)")]) else {
                Issue.record("version \(version) is spoken")
                continue
            }
            #expect(handshake.facts.family == (version == 13 ? "rfc6455" : "hybi-0\(version)"))
        }
        guard case .hixie76 = verdict([("Sec-WebSocket-Key1", "1 2"), ("Sec-WebSocket-Key2", "3 4")]) else {
            Issue.record("two keys and no version is hixie-76")
            return
        }
        guard case .upgradeRequired = verdict([key, ("Sec-WebSocket-Version", "13"), ("Sec-WebSocket-Version", "8")]) else {
            Issue.record("two version headers are not one version")
            return
        }
    }

    @Test func closeFramesAreAnsweredByTheRules() {
        func reply(_ bytes: [UInt8]) -> CloseFrameReply { CloseFrameReply(payload: ByteBuffer(bytes: bytes)) }
        #expect(reply([]) == .echo(code: nil))
        #expect(reply([0x03]) == .fail(.protocolError))
        #expect(reply([0x03, 0xE8]) == .echo(code: 1000))
        #expect(reply([0x03, 0xE8] + Array("bye".utf8)) == .echo(code: 1000))
        #expect(reply([0x03, 0xE8, 0xCE, 0xBA, 0xE1]) == .fail(.dataInconsistentWithMessage))  // cut-off UTF-8
        for valid: UInt16 in [1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 3000, 3999, 4000, 4999] {
            #expect(reply([UInt8(valid >> 8), UInt8(valid & 0xFF)]) == .echo(code: valid), "\(valid)")
        }
        for invalid: UInt16 in [0, 999, 1004, 1005, 1006, 1015, 1016, 1100, 2000, 2999, 5000, 65535] {
            #expect(reply([UInt8(invalid >> 8), UInt8(invalid & 0xFF)]) == .fail(.protocolError), "\(invalid)")
        }
    }

    @Test func clientFramesMustBeMaskedAndUseNothingReserved() {
        let mask = WebSocketMaskingKey([1, 2, 3, 4])
        #expect(ClientFrameValidator.problem(with: WebSocketFrame(fin: true, opcode: .text, maskKey: mask, data: ByteBuffer())) == nil)
        #expect(ClientFrameValidator.problem(with: WebSocketFrame(fin: true, opcode: .text, data: ByteBuffer())) == "client frames must be masked")
        #expect(ClientFrameValidator.problem(with: WebSocketFrame(fin: true, rsv2: true, opcode: .text, maskKey: mask, data: ByteBuffer())) != nil)
        let reserved = WebSocketOpcode(encodedWebSocketOpcode: 0x3)!
        #expect(ClientFrameValidator.problem(with: WebSocketFrame(fin: true, opcode: reserved, maskKey: mask, data: ByteBuffer())) == "reserved opcode 3")
    }
}

/// What `/graph` does with what clients send: pings answered, close completed, text ignored,
/// anything against the rules answered with the close code that says why.
@Suite(.serialized) struct GraphClientFrameTests {
    private func closeCode(after frame: (opcode: UInt8, payload: [UInt8]), first: UInt8? = nil) throws -> UInt16? {
        let running = try RunningServer()
        let client = try running.client()
        try client.handshake()
        running.waitForClients(1)
        if let first {
            // A raw first byte, for reserved bits: FIN + the given bits/opcode, masked, empty.
            try client.send([first, 0x80, 1, 2, 3, 4])
        } else {
            try client.sendFrame(opcode: frame.opcode, payload: frame.payload)
        }
        while true {
            let reply = try client.readFrame()
            guard reply.opcode == 0x8 else { continue }
            #expect(client.waitForEOF())
            return reply.payload.count >= 2 ? UInt16(reply.payload[0]) << 8 | UInt16(reply.payload[1]) : nil
        }
    }

    @Test func pingsAreAnsweredAndTextIsIgnored() throws {
        let running = try RunningServer()
        let client = try running.client()
        try client.handshake()
        try client.sendFrame(opcode: 0x1, payload: Array("hello".utf8))
        try client.sendFrame(opcode: 0x9, payload: Array("are you there".utf8))
        let pong = try client.readFrame()
        #expect(pong.opcode == 0xA)
        #expect(pong.text == "are you there")
        running.publish([4, 5, 6])
        #expect(try client.readText().hasSuffix(",4,5,6]"))
    }

    @Test func closeCodesAreCheckedBeforeTheyAreEchoed() throws {
        #expect(try closeCode(after: (0x8, [0x0B, 0xB8])) == 3000)
        #expect(try closeCode(after: (0x8, [])) == nil)
        #expect(try closeCode(after: (0x8, [0x03, 0xED])) == 1002)  // 1005 is never sent on the wire
        #expect(try closeCode(after: (0x8, [0x03, 0xE8, 0xFF])) == 1007)  // reason not UTF-8
        #expect(try closeCode(after: (0x8, [0x03])) == 1002)
    }

    @Test func framesAgainstTheRulesEndTheConnection() throws {
        #expect(try closeCode(after: (0, []), first: 0x80 | 0x40 | 0x1) == 1002)  // RSV1 without an extension
        #expect(try closeCode(after: (0x3, [])) == 1002)  // reserved opcode
        #expect(try closeCode(after: (0x9, Array(repeating: 0x61, count: 126))) == 1002)  // control frame over 125
        #expect(try closeCode(after: (0x1, Array(repeating: 0x61, count: 20_000))) == 1009)  // over the 16 KiB limit
    }
}

/// The streaming UTF-8 check must agree with the standard library's whole-buffer check,
/// wherever the fragments are cut.
struct UTF8StreamValidatorTests {
    @Test func agreesWithTheStandardLibraryWhereverTheMessageIsCut() {
        var generator = SystemRandomNumberGenerator()
        let interesting: [[UInt8]] = [
            Array("κόσμε".utf8), [0xF0, 0x9F, 0x98, 0x80], [0xED, 0xA0, 0x80], [0xED, 0x9F, 0xBF],
            [0xC0, 0xAF], [0xE0, 0x80, 0xAF], [0xF4, 0x90, 0x80, 0x80], [0xF4, 0x8F, 0xBF, 0xBF],
            [0xEF, 0xBF, 0xBF], [0x80], [0xFE], [0xC2], [0xE1, 0x80], Array("a".utf8),
        ]
        for _ in 0..<5_000 {
            var message: [UInt8] = []
            for _ in 0..<Int.random(in: 0...6, using: &generator) {
                message += Bool.random(using: &generator)
                    ? interesting.randomElement(using: &generator)!
                    : [UInt8.random(in: 0...255, using: &generator)]
            }
            let expected = String(validating: message, as: UTF8.self) != nil
            var validator = UTF8StreamValidator()
            var valid = true
            var start = 0
            while start < message.count && valid {
                let end = Int.random(in: start...message.count, using: &generator)
                valid = validator.feed(message[start..<end])
                start = end
            }
            #expect((valid && validator.isComplete) == expected, "\(message)")
        }
    }

    @Test func failsAtTheFirstImpossibleByte() {
        var validator = UTF8StreamValidator()
        let letters = validator.feed(Array("κόσμε".utf8))
        let leadByte = validator.feed([0xCE])  // could still become a letter
        #expect(letters && leadByte)
        #expect(!validator.isComplete)
        let ascii = validator.feed([0x41])  // cannot
        #expect(!ascii)
    }
}
