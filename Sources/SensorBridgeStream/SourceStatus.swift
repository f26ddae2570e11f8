/// What feeds the stream and whether it is delivering, for `/api/status` and for the
/// batched stream's status messages.
public struct SourceStatus: Sendable, Equatable, Codable {
    public enum State: String, Sendable, Codable {
        /// `released`: the port was handed over for an upload (`sensorbridge release`).
        case starting, connected, disconnected, released, finished, stopped
    }

    public var kind: SourceKind
    /// The device path or the replayed file.
    public var name: String
    /// The device's baud rate; nil for a replay.
    public var baud: Int?
    public var state: State
    /// A sentence for people: what happened last.
    public var detail: String

    public init(kind: SourceKind, name: String, baud: Int?, state: State = .starting, detail: String = "") {
        self.kind = kind
        self.name = name
        self.baud = baud
        self.state = state
        self.detail = detail
    }
}
