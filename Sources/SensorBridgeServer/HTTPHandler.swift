import Foundation
import Logging
import NIOCore
import NIOHTTP1
import SensorBridgeStream

/// Plain HTTP on the bridge's port: the page, `/api/status` and `/metrics`. Requests for a WebSocket
/// endpoint never reach it (`WebSocketUpgradeHandler` answers those); requests it cannot
/// read get 400 with the reason, never a silent close.
final class HTTPHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let clients: GraphClients
    private let pages: PageFiles
    private let maxHeaderBytes: Int
    private let logger: Logger
    private let log: ThrottledLog
    private var request: HTTPRequestHead?
    private var failed = false

    init(clients: GraphClients, pages: PageFiles, maxHeaderBytes: Int, logger: Logger, log: ThrottledLog) {
        self.clients = clients
        self.pages = pages
        self.maxHeaderBytes = maxHeaderBytes
        self.logger = logger
        self.log = log
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !failed else { return }
        switch unwrapInboundIn(data) {
        case .head(let head):
            request = head
        case .body:
            break  // no endpoint takes a body
        case .end:
            guard let head = request else { return }
            request = nil
            response(to: head).write(to: context, answering: head, keepAlive: !Self.asksForUpgrade(head))
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        guard !failed else { return }
        failed = true
        guard let parseError = error as? HTTPParserError else {
            logger.debug("HTTP connection error: \(error)")
            context.close(promise: nil)
            return
        }
        let reason = parseError == .headerOverflow
            ? "request headers are larger than \(maxHeaderBytes) bytes"
            : "malformed HTTP request (\(parseError))"
        log.info("bad request from \(context.peerName): \(reason)")
        PlainResponse(status: .badRequest, text: reason).write(to: context, answering: nil)
    }

    /// A request with an `Upgrade` header to a path that is not a WebSocket endpoint is
    /// answered, then the connection is closed: the HTTP decoder stops parsing after an
    /// upgrade request, so nothing more could be read from it.
    private static func asksForUpgrade(_ head: HTTPRequestHead) -> Bool {
        !head.headers["Upgrade"].isEmpty
    }

    private func response(to head: HTTPRequestHead) -> PlainResponse {
        let path = String(head.path)
        guard head.method == .GET || head.method == .HEAD else {
            var headers = HTTPHeaders()
            headers.add(name: "Allow", value: "GET, HEAD")
            return PlainResponse(status: .methodNotAllowed, text: "Only GET and HEAD are served here.", headers: headers)
        }
        if path == "/api/status" {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            let body = (try? encoder.encode(clients.statusReport())) ?? Data("{}".utf8)
            return PlainResponse(status: .ok, body: ByteBuffer(bytes: body), contentType: "application/json")
        }
        if path == "/api/lines" {
            let after = StreamRequest(uri: head.uri).resumeAfter ?? 0  // the same `after=` as /graph's
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            let body = (try? encoder.encode(MonitorLines(clients.monitor?.entries(after: after) ?? []))) ?? Data("{}".utf8)
            return PlainResponse(status: .ok, body: ByteBuffer(bytes: body), contentType: "application/json")
        }
        if path == "/metrics" {
            return PlainResponse(status: .ok, body: ByteBuffer(bytes: MetricsText.render(clients.statusReport())),
                                 contentType: MetricsText.contentType)
        }
        if let file = pages.file(for: path) {
            return PlainResponse(status: .ok, body: file.body, contentType: file.contentType)
        }
        return PlainResponse(status: .notFound, text: "Not found: \(path)")
    }
}

/// `/api/lines`: the raw monitor's lines after `?after=N`, oldest first.
struct MonitorLines: Encodable {
    struct Line: Encodable {
        var n: UInt64
        /// Seconds since the Unix epoch.
        var t: Double
        var text: String
        var kind: String
        var reason: String?
    }
    var lines: [Line]

    init(_ entries: [LineMonitor.Entry]) {
        lines = entries.map { Line(n: $0.number, t: Double($0.micros) / 1e6, text: $0.text, kind: $0.kind.rawValue, reason: $0.reason) }
    }
}

extension HTTPRequestHead {
    /// The request's path, without the query.
    var path: Substring {
        uri.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
    }
}
