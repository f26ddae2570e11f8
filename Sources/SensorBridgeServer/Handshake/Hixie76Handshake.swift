import Crypto
import NIOHTTP1

/// An accepted hixie-76 (hybi-00) handshake: Safari 5, iOS 5, Opera 12.00 and Opera Mobile
/// still speak it. The answer depends on 8 bytes (key3) that follow the request's headers,
/// so it is finished only when those have arrived.
struct Hixie76Handshake {
    let key1Number: UInt32
    let key2Number: UInt32
    /// `Sec-WebSocket-Location`: the `ws://` URL of the request.
    let location: String
    /// `Sec-WebSocket-Origin`: the client's Origin.
    let origin: String
    let facts: HandshakeFacts

    static func evaluate(_ head: HTTPRequestHead, host: String) -> WebSocketHandshake.Verdict {
        let key1 = head.headers["Sec-WebSocket-Key1"]
        let key2 = head.headers["Sec-WebSocket-Key2"]
        guard key1.count == 1, key2.count == 1 else {
            return .badRequest(reason: "a hixie-76 handshake needs exactly one Sec-WebSocket-Key1 and one Sec-WebSocket-Key2")
        }
        let number1: UInt32
        let number2: UInt32
        switch (keyNumber(key1[0]), keyNumber(key2[0])) {
        case (.failure(let problem), _):
            return .badRequest(reason: "Sec-WebSocket-Key1 \(problem.reason)")
        case (_, .failure(let problem)):
            return .badRequest(reason: "Sec-WebSocket-Key2 \(problem.reason)")
        case (.success(let first), .success(let second)):
            (number1, number2) = (first, second)
        }
        let facts = HandshakeFacts(
            family: "hixie-76", version: "0",
            choice: SubprotocolChoice(headerValues: head.headers["Sec-WebSocket-Protocol"]), head: head)
        return .hixie76(Hixie76Handshake(
            key1Number: number1, key2Number: number2,
            location: "ws://\(host)\(head.uri)",
            origin: head.headers["Origin"].first ?? "null",
            facts: facts))
    }

    struct KeyProblem: Error {
        let reason: String
    }

    /// A key's number: its digits read as one decimal number, divided by its count of spaces.
    /// The draft fails the handshake when there are no spaces or the division leaves a remainder.
    static func keyNumber(_ key: String) -> Result<UInt32, KeyProblem> {
        var digits: UInt64 = 0
        var spaces: UInt64 = 0
        for byte in key.utf8 {
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"):
                let (times10, overflow1) = digits.multipliedReportingOverflow(by: 10)
                let (sum, overflow2) = times10.addingReportingOverflow(UInt64(byte - UInt8(ascii: "0")))
                guard !overflow1, !overflow2 else { return .failure(KeyProblem(reason: "has too many digits")) }
                digits = sum
            case UInt8(ascii: " "):
                spaces += 1
            default:
                continue
            }
        }
        guard spaces > 0 else { return .failure(KeyProblem(reason: "has no spaces")) }
        guard digits % spaces == 0 else {
            return .failure(KeyProblem(reason: "is invalid: its number \(digits) is not a multiple of its \(spaces) spaces"))
        }
        guard let number = UInt32(exactly: digits / spaces) else {
            return .failure(KeyProblem(reason: "is invalid: its number divided by its spaces exceeds 32 bits"))
        }
        return .success(number)
    }

    /// The 16-byte answer: MD5 of key1's number and key2's number (big-endian, 32 bits each) and key3.
    func answer(key3: [UInt8]) -> [UInt8] {
        precondition(key3.count == 8, "key3 is 8 bytes")
        var challenge: [UInt8] = []
        challenge.reserveCapacity(16)
        for number in [key1Number, key2Number] {
            challenge.append(contentsOf: withUnsafeBytes(of: number.bigEndian, Array.init))
        }
        challenge.append(contentsOf: key3)
        return Array(Insecure.MD5.hash(data: challenge))
    }

    /// The whole answer as the draft words it, answer bytes included.
    func response(key3: [UInt8]) -> [UInt8] {
        var lines = [
            "HTTP/1.1 101 WebSocket Protocol Handshake",
            "Upgrade: WebSocket",
            "Connection: Upgrade",
            "Sec-WebSocket-Origin: \(origin)",
            "Sec-WebSocket-Location: \(location)",
        ]
        if let chosen = facts.choice.chosen { lines.append("Sec-WebSocket-Protocol: \(chosen)") }
        var bytes = Array((lines.joined(separator: "\r\n") + "\r\n\r\n").utf8)
        bytes.append(contentsOf: answer(key3: key3))
        return bytes
    }
}
