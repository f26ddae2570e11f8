/// The body of `GET /api/status`: enough to tell at a glance whether data flows, at what
/// rate, whether lines are being rejected (and why), and who is watching.
public struct StatusReport: Codable, Sendable {
    public struct Client: Codable, Sendable {
        public var id: UInt64
        public var remote: String
        /// Seconds since the Unix epoch.
        public var connectedAt: Double
        public var version: String
        public var offeredSubprotocols: [String]
        public var subprotocol: String?
        public var stream: String
        public var origin: String?
        public var userAgent: String?
        public var samplesSent: UInt64
        public var samplesSkipped: UInt64
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
    public var uptimeSeconds: Double
    public var clients: [Client]
}
