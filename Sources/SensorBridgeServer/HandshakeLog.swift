import Logging

/// The facts of a handshake that, in the original project, could only be learned with a
/// packet capture: protocol version, offered and chosen subprotocol, extensions, Origin, User-Agent.
enum HandshakeLog {
    static func connected(_ record: ClientRecord, refused: [String], extensions: [String], logger: Logger) {
        logger.info("client \(record.id) connected to /graph", metadata: [
            "remote": "\(record.remoteAddress)",
            "version": "\(record.protocolVersion)",
            "offered": "\(record.offeredSubprotocols)",
            "chosen": "\(record.chosenSubprotocol ?? "none (no Sec-WebSocket-Protocol sent)")",
            "stream": "\(record.stream.rawValue)",
            "extensions": "\(extensions.isEmpty ? "none" : extensions.joined(separator: ", "))",
            "origin": "\(record.origin ?? "-")",
            "user-agent": "\(record.userAgent ?? "-")",
        ])
        if !refused.isEmpty {
            logger.info("client \(record.id): refused subprotocols \(refused) (not spoken here; supported: \(SubprotocolChoice.supported))")
        }
    }
}
