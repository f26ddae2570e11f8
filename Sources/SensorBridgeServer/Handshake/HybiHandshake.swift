import Crypto
import Foundation
import NIOHTTP1

/// An accepted RFC 6455 (version 13) or hybi draft 7/8 handshake. All three share the
/// framing and the accept computation; they differ in which header carries the origin.
struct HybiHandshake {
    /// RFC 6455 §1.3: appended to the client's key before hashing.
    static let keyGUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

    let version: Int
    let key: String
    let facts: HandshakeFacts

    static func evaluate(_ head: HTTPRequestHead, version: Int) -> WebSocketHandshake.Verdict {
        let keys = head.headers["Sec-WebSocket-Key"]
        guard let rawKey = keys.first else { return .badRequest(reason: "no Sec-WebSocket-Key header") }
        guard keys.count == 1 else { return .badRequest(reason: "more than one Sec-WebSocket-Key header") }
        let key = rawKey.trimmed
        guard let nonce = Data(base64Encoded: key), nonce.count == 16 else {
            return .badRequest(reason: "Sec-WebSocket-Key must be 16 bytes in base64 (24 characters); got \"\(key.prefix(64))\"")
        }
        let family = version == 13 ? "rfc6455" : "hybi-0\(version)"
        let facts = HandshakeFacts(
            family: family, version: String(version),
            choice: SubprotocolChoice(headerValues: head.headers["Sec-WebSocket-Protocol"]), head: head)
        return .hybi(HybiHandshake(version: version, key: key, facts: facts))
    }

    /// `Sec-WebSocket-Accept`: base64 of SHA-1(key + GUID).
    static func acceptValue(forKey key: String) -> String {
        Data(Insecure.SHA1.hash(data: Data((key + keyGUID).utf8))).base64EncodedString()
    }

    /// The 101 answer's headers. Extensions are never echoed: the bridge implements none.
    var responseHeaders: HTTPHeaders {
        var headers = HTTPHeaders()
        headers.add(name: "Upgrade", value: "websocket")
        headers.add(name: "Connection", value: "Upgrade")
        headers.add(name: "Sec-WebSocket-Accept", value: Self.acceptValue(forKey: key))
        if let chosen = facts.choice.chosen { headers.add(name: "Sec-WebSocket-Protocol", value: chosen) }
        return headers
    }
}
