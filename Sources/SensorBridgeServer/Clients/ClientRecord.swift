import Synchronization

/// One connected graph client as `/api/status` shows it: what it asked for in its handshake
/// and how its stream is going. Counters are atomics because the client's event loop
/// updates them while the status request reads them from another.
final class ClientRecord: Sendable {
    let id: UInt64
    let remoteAddress: String
    let connectedMicros: Int64
    let handshake: HandshakeFacts
    var stream: SubprotocolChoice.Stream { handshake.choice.stream }
    let samplesSent = Atomic<UInt64>(0)
    let samplesSkipped = Atomic<UInt64>(0)
    /// The next sequence number the client is due (written on its loop, read by status).
    let cursor = Atomic<UInt64>(0)
    let framesSent = Atomic<UInt64>(0)
    /// WebSocket payload bytes.
    let bytesSent = Atomic<UInt64>(0)

    init(id: UInt64, remoteAddress: String, connectedMicros: Int64, handshake: HandshakeFacts) {
        self.id = id
        self.remoteAddress = remoteAddress
        self.connectedMicros = connectedMicros
        self.handshake = handshake
    }

    /// - Parameters: the ring's oldest kept and next sequence numbers: a client stuck before
    ///   the oldest has already lost those samples, though it has not been told yet.
    func report(oldest: UInt64, next: UInt64) -> StatusReport.Client {
        let cursor = cursor.load(ordering: .relaxed)
        let lost = oldest > cursor ? oldest - cursor : 0
        return StatusReport.Client(
            id: id, remote: remoteAddress, connectedAt: Double(connectedMicros) / 1_000_000,
            protocol: handshake.family, version: handshake.version,
            offeredSubprotocols: handshake.choice.offered, subprotocol: handshake.choice.chosen,
            stream: stream.rawValue, extensions: handshake.extensions,
            origin: handshake.origin, userAgent: handshake.userAgent,
            samplesSent: samplesSent.load(ordering: .relaxed), samplesSkipped: samplesSkipped.load(ordering: .relaxed) + lost,
            samplesBehind: next - min(max(cursor, oldest), next),
            framesSent: framesSent.load(ordering: .relaxed),
            bytesSent: bytesSent.load(ordering: .relaxed)
        )
    }
}
