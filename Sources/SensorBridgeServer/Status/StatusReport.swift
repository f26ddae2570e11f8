import SensorBridgeStream

/// The body of `GET /api/status`: enough to tell at a glance whether data flows, at what
/// rate, whether lines are being rejected (and why), and who is watching.
public struct StatusReport: Codable, Sendable {
    /// What the clients were sent, over the bridge's life (those gone included).
    public struct Delivery: Codable, Sendable, Equatable {
        public var samplesSent: UInt64 = 0
        public var samplesSkipped: UInt64 = 0
        public var framesSent: UInt64 = 0
        /// WebSocket payload bytes.
        public var bytesSent: UInt64 = 0
    }

    public struct Client: Codable, Sendable {
        public var id: UInt64
        public var remote: String
        /// Seconds since the Unix epoch.
        public var connectedAt: Double
        /// Handshake family: `rfc6455`, `hybi-08`, `hybi-07` or `hixie-76`.
        public var `protocol`: String
        /// `Sec-WebSocket-Version` (`0` for hixie-76, which is hybi-00).
        public var version: String
        public var offeredSubprotocols: [String]
        public var subprotocol: String?
        public var stream: String
        /// Extensions the client offered (the bridge accepts none).
        public var extensions: [String]
        public var origin: String?
        public var userAgent: String?
        public var samplesSent: UInt64
        /// Samples missed: skipped over, and those already gone from the ring while the
        /// client was stuck.
        public var samplesSkipped: UInt64
        /// Samples kept in the ring that the client has not been sent yet.
        public var samplesBehind: UInt64
        public var framesSent: UInt64
        public var bytesSent: UInt64
    }

    public var source: SourceStatus
    public var baud: Int?
    public var channels: [String]
    public var samples: UInt64
    /// Samples per second over the last two seconds.
    public var rate: Double
    public var parseErrors: UInt64
    public var parseErrorsByKind: [String: UInt64]
    public var lastRejectedLine: String?
    public var lines: UInt64
    public var bytes: UInt64
    public var historySeconds: Double
    public var bufferCapacity: Int
    /// The most the held samples may cost (`--buffer-bytes`), and what they cost now.
    public var bufferMaxBytes: Int
    public var bufferBytes: Int
    public var uptimeSeconds: Double
    public var clients: [Client]
    /// Clients closed for staying behind longer than the client timeout.
    public var clientsEvicted: UInt64
    /// Times the device came back after being lost.
    public var reconnects: UInt64
    /// Lines the sketch's line counter says were lost on the wire.
    public var linesLost: UInt64 = 0
    public var delivery: Delivery
    /// Links to MQTT brokers: publishing this stream, or relaying one into it.
    public var mqtt: [BrokerLinkReport] = []
    /// The history store's writer (null with `--no-store`).
    public var store: StoreReport?
    /// Every source of the bridge, this one first (the report is this one's); set by the
    /// server, which knows them all.
    public var sources: [SourceSummary]?

    private enum CodingKeys: String, CodingKey {
        case source, baud, channels, samples, rate, parseErrors, parseErrorsByKind, lastRejectedLine
        case lines, bytes, historySeconds, bufferCapacity, bufferMaxBytes, bufferBytes, uptimeSeconds, clients, clientsEvicted, reconnects, linesLost, delivery, mqtt, store, sources
    }

    /// Written by hand only so that `baud` and `lastRejectedLine` appear as `null` rather than
    /// vanish: a status page is easier to read when every field is always there.
    public func encode(to encoder: Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(source, forKey: .source)
        try container.encode(baud, forKey: .baud)
        try container.encode(channels, forKey: .channels)
        try container.encode(samples, forKey: .samples)
        try container.encode(rate, forKey: .rate)
        try container.encode(parseErrors, forKey: .parseErrors)
        try container.encode(parseErrorsByKind, forKey: .parseErrorsByKind)
        try container.encode(lastRejectedLine, forKey: .lastRejectedLine)
        try container.encode(lines, forKey: .lines)
        try container.encode(bytes, forKey: .bytes)
        try container.encode(historySeconds, forKey: .historySeconds)
        try container.encode(bufferCapacity, forKey: .bufferCapacity)
        try container.encode(bufferMaxBytes, forKey: .bufferMaxBytes)
        try container.encode(bufferBytes, forKey: .bufferBytes)
        try container.encode(uptimeSeconds, forKey: .uptimeSeconds)
        try container.encode(clients, forKey: .clients)
        try container.encode(clientsEvicted, forKey: .clientsEvicted)
        try container.encode(reconnects, forKey: .reconnects)
        try container.encode(linesLost, forKey: .linesLost)
        try container.encode(delivery, forKey: .delivery)
        try container.encode(mqtt, forKey: .mqtt)
        try container.encode(store, forKey: .store)
        try container.encode(sources ?? [], forKey: .sources)
    }
}
