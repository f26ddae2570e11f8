import SensorBridgeStream
import Logging
import NIOCore
import NIOHTTP1

/// Every handshake at info: the facts that, in the original project, could only be learned
/// with a packet capture (protocol family and version, offered and chosen subprotocol,
/// offered extensions, Origin, User-Agent), for accepted and refused clients alike.
enum HandshakeLog {
    static func connected(_ record: ClientRecord, path: String, log: ThrottledLog) {
        let facts = record.handshake
        log.info("client \(record.id) connected to \(path)", metadata: [
            "remote": "\(record.remoteAddress)",
            "protocol": "\(facts.family)",
            "version": "\(facts.version)",
            "offered": "\(facts.choice.offered)",
            "chosen": "\(facts.choice.chosen ?? "none (no Sec-WebSocket-Protocol sent)")",
            "stream": "\(record.stream.rawValue)",
            "extensions": "\(facts.extensions.isEmpty ? "none" : facts.extensions.joined(separator: ", ")) (none accepted)",
            "origin": "\(facts.origin ?? "-")",
            "user-agent": "\(facts.userAgent ?? "-")",
        ])
        if !facts.choice.refused.isEmpty {
            log.info("client \(record.id): refused subprotocols \(facts.choice.refused) (not spoken here; supported: \(SubprotocolChoice.supported))")
        }
    }

    static func refused(status: HTTPResponseStatus, reason: String, head: HTTPRequestHead, remote: String, log: ThrottledLog) {
        let headers = head.headers
        log.info("refused WebSocket handshake on \(head.uri): \(status.code) \(reason)", metadata: [
            "remote": "\(remote)",
            "version": "\(headers["Sec-WebSocket-Version"].first ?? (headers["Sec-WebSocket-Key1"].isEmpty ? "none" : "hixie-76"))",
            "upgrade": "\(headers["Upgrade"].first ?? "none")",
            "origin": "\(headers["Origin"].first ?? headers["Sec-WebSocket-Origin"].first ?? "-")",
            "user-agent": "\(headers["User-Agent"].first ?? "-")",
        ])
    }
}

extension ChannelHandlerContext {
    /// The client as logs and `/api/status` show it: `127.0.0.1:45934`, `[::1]:45934`.
    var peerName: String {
        guard let address = remoteAddress else { return "unknown" }
        guard let ip = address.ipAddress, let port = address.port else { return address.description }
        return ip.contains(":") ? "[\(ip)]:\(port)" : "\(ip):\(port)"
    }
}
