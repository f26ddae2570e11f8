import Synchronization

/// One connected graph client as `/api/status` shows it: what it asked for in its handshake
/// and how its stream is going. Counters are atomics because the client's event loop
/// updates them while the status request reads them from another.
final class ClientRecord: Sendable {
    let id: UInt64
    let remoteAddress: String
    let connectedMicros: Int64
    let protocolVersion: String
    let offeredSubprotocols: [String]
    let chosenSubprotocol: String?
    let stream: SubprotocolChoice.Stream
    let origin: String?
    let userAgent: String?
    let samplesSent = Atomic<UInt64>(0)
    let samplesSkipped = Atomic<UInt64>(0)

    init(
        id: UInt64, remoteAddress: String, connectedMicros: Int64, protocolVersion: String,
        choice: SubprotocolChoice, origin: String?, userAgent: String?
    ) {
        self.id = id
        self.remoteAddress = remoteAddress
        self.connectedMicros = connectedMicros
        self.protocolVersion = protocolVersion
        self.offeredSubprotocols = choice.offered
        self.chosenSubprotocol = choice.chosen
        self.stream = choice.stream
        self.origin = origin
        self.userAgent = userAgent
    }

    var report: StatusReport.Client {
        StatusReport.Client(
            id: id, remote: remoteAddress, connectedAt: Double(connectedMicros) / 1_000_000,
            version: protocolVersion, offeredSubprotocols: offeredSubprotocols,
            subprotocol: chosenSubprotocol, stream: stream.rawValue, origin: origin, userAgent: userAgent,
            samplesSent: samplesSent.load(ordering: .relaxed), samplesSkipped: samplesSkipped.load(ordering: .relaxed)
        )
    }
}
