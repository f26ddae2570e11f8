import Synchronization

/// How a link to a message broker is doing, for `/api/status` (`mqtt`) and `/metrics`. Kept
/// here, beside the stream, so the server can show it without knowing any broker library.
public struct BrokerLinkReport: Codable, Sendable, Equatable {
    /// `publish` (this bridge feeds the broker) or `relay` (the broker feeds this bridge).
    public var role: String
    /// The broker and base topic, without the password.
    public var broker: String
    public var connected = false
    /// Connections made (the first and every reconnection).
    public var connections: UInt64 = 0
    /// Connections that broke.
    public var connectionsLost: UInt64 = 0
    /// Why the last attempt failed or the last connection broke.
    public var lastError: String?
    public var messagesPublished: UInt64 = 0
    public var samplesPublished: UInt64 = 0
    /// Samples the publisher could not hand to the broker: it was unreachable, or its
    /// backlog was full, or the connection broke before they were written.
    public var samplesDropped: UInt64 = 0
    public var messagesReceived: UInt64 = 0
    public var samplesReceived: UInt64 = 0
    /// Samples of the edge that never reached this relay (jumps in the edge's numbers).
    public var samplesMissed: UInt64 = 0
    /// Messages on the base topic refused: not sensorbridge's, too large, or not the edge's
    /// next (old, repeated, of another run, or numbers it never confirmed). The log says why.
    public var messagesRejected: UInt64 = 0
    /// Messages that arrived faster than the relay could read them, dropped unread.
    public var messagesDropped: UInt64 = 0

    public init(role: String, broker: String) {
        self.role = role
        self.broker = broker
    }
}

/// The live counters behind a `BrokerLinkReport`: written by the link's thread, read by
/// whoever reports.
public final class BrokerLinkCounters: Sendable {
    private let report: Mutex<BrokerLinkReport>

    public init(role: String, broker: String) {
        report = Mutex(BrokerLinkReport(role: role, broker: broker))
    }

    public var snapshot: BrokerLinkReport { report.withLock { $0 } }

    public func update(_ body: (inout BrokerLinkReport) -> Void) {
        report.withLock { body(&$0) }
    }
}
