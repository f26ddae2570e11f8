import SensorBridgeCore

/// Which `Sec-WebSocket-Protocol` to answer, following RFC 6455 §4.2.2: exactly one of the
/// values the client offered, or no header at all. Never a value that was not offered:
/// browsers fail the connection when the answer names a protocol they did not ask for,
/// and also when they offered some and the answer carries an empty header.
public struct SubprotocolChoice: Equatable, Sendable {
    /// What the stream sends, decided by the chosen subprotocol.
    public enum Stream: String, Sendable, Equatable {
        /// One text frame per sample: `[t, v1, v2, ...]`.
        case perSample = "per-sample"
        /// `sensorbridge.batch.v1`: self-describing batches with sequence numbers and gap notices.
        case batched
    }

    /// The subprotocols this server speaks, in order of preference.
    public static let supported = [BatchMessages.subprotocol, "chat"]

    public let offered: [String]
    /// The value for the response header; nil means "send no Sec-WebSocket-Protocol".
    public let chosen: String?
    /// Offered values we do not speak (for the log).
    public let refused: [String]

    public var stream: Stream { chosen == BatchMessages.subprotocol ? .batched : .perSample }

    /// - Parameter headerValues: every `Sec-WebSocket-Protocol` header of the request (each
    ///   may hold a comma-separated list).
    public init(headerValues: [String]) {
        let offered = headerValues
            .flatMap { $0.split(separator: ",") }
            .map { String($0).trimmed }
            .filter { !$0.isEmpty }
        self.offered = offered
        // Subprotocol names are case-sensitive tokens (RFC 6455 §11.3.4).
        self.chosen = Self.supported.first { offered.contains($0) }
        self.refused = offered.filter { !Self.supported.contains($0) }
    }
}
