import SensorBridgeCore

/// What the server asks of the history store, without knowing SQLite: the store module
/// answers `/api/sessions`, `/api/history` and `/api/export`, and reports how its writing
/// goes for `/api/status` and `/metrics`.
public protocol HistoryService: Sendable {
    /// The answer to a GET of `path` (one of `HistoryEndpoint.paths`) with its query
    /// parameters. May take a while: called off the event loops.
    func answer(path: String, query: [String: String], nowMicros: Int64) -> HistoryReply
    /// How the writing goes (nil: nothing is written, e.g. `--archive`).
    var writerReport: StoreReport? { get }
    /// The store's file.
    var storePath: String { get }
}

public enum HistoryEndpoint {
    public static let paths: Set<String> = ["/api/sessions", "/api/history", "/api/export"]
}

public enum HistoryReply: Sendable {
    case json(status: Int, body: [UInt8])
    /// A body too large to build in memory: `produce` hands it on in pieces through `write`,
    /// which blocks while the client is slow (and throws when it has gone).
    case stream(contentType: String, fileName: String,
                produce: @Sendable (_ write: ([UInt8]) throws -> Void) throws -> Void)

    /// `{"error": "..."}` with `status`.
    public static func error(_ status: Int, _ sentence: String) -> HistoryReply {
        var body = Array("{\"error\":".utf8)
        JSONText.appendString(sentence, to: &body)
        body.append(UInt8(ascii: "}"))
        return .json(status: status, body: body)
    }
}

/// How the store's writer is doing, for `/api/status` and `/metrics`.
public struct StoreReport: Sendable, Codable, Equatable {
    /// `writing`, `paused` (a full or read-only disk: it retries by itself) or `stopped`.
    public var state: String
    /// Why it is paused (empty when writing).
    public var detail: String
    public var file: String
    public var samplesStored: UInt64
    /// Samples the store never got: it fell behind the stream's memory (or was paused that long).
    public var samplesLost: UInt64
    public var bytes: Int64
    public var sessions: Int

    public init(state: String, detail: String, file: String, samplesStored: UInt64, samplesLost: UInt64, bytes: Int64, sessions: Int) {
        self.state = state
        self.detail = detail
        self.file = file
        self.samplesStored = samplesStored
        self.samplesLost = samplesLost
        self.bytes = bytes
        self.sessions = sessions
    }
}
