import NIOHTTP1

/// What a client said in its opening handshake, kept for the log and `/api/status`: the
/// facts that, for the original project, could only be learned with a packet capture.
struct HandshakeFacts: Sendable {
    /// `rfc6455`, `hybi-08`, `hybi-07` or `hixie-76`.
    let family: String
    /// `13`, `8`, `7`, or `0` for hixie-76 (which is hybi-00).
    let version: String
    let choice: SubprotocolChoice
    let extensions: [String]
    let origin: String?
    let userAgent: String?

    init(family: String, version: String, choice: SubprotocolChoice, head: HTTPRequestHead) {
        self.family = family
        self.version = version
        self.choice = choice
        let headers = head.headers
        self.extensions = headers["Sec-WebSocket-Extensions"]
            .flatMap { $0.split(separator: ",") }
            .map { String($0).trimmed }
            .filter { !$0.isEmpty }
        // Draft-8 browsers send Sec-WebSocket-Origin instead of Origin.
        self.origin = headers["Origin"].first ?? headers["Sec-WebSocket-Origin"].first
        self.userAgent = headers["User-Agent"].first
    }
}
