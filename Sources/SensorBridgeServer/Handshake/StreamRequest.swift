/// What a `/graph` client asks for in its URL's query, beyond the handshake:
///
/// - `history=SECONDS`: how far back to start (default: the bridge's `--history`), bounded
///   by what the ring holds;
/// - `stream=ID&after=SEQ`: a client reconnecting to the same stream (the `stream` of its
///   `hello`) resumes after the last sample it has, so nothing is sent twice. For another
///   stream (the bridge restarted) these are ignored and `history` applies.
///
/// Malformed values are ignored rather than refused: the stream itself is still wanted.
struct StreamRequest: Equatable, Sendable {
    var historySeconds: Double?
    var resumeStream: String?
    var resumeAfter: UInt64?

    init(historySeconds: Double? = nil, resumeStream: String? = nil, resumeAfter: UInt64? = nil) {
        self.historySeconds = historySeconds
        self.resumeStream = resumeStream
        self.resumeAfter = resumeAfter
    }

    init(uri: String) {
        self.init()
        guard let query = uri.split(separator: "?", maxSplits: 1).dropFirst().first else { return }
        for pair in query.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard parts.count == 2 else { continue }
            let value = String(parts[1])
            switch parts[0] {
            case "history":
                if let seconds = Double(value), seconds.isFinite, seconds >= 0 { historySeconds = seconds }
            case "stream":
                if !value.isEmpty, value.count <= 64 { resumeStream = value }
            case "after":
                resumeAfter = UInt64(value)
            default:
                continue
            }
        }
    }
}
