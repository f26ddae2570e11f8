import Foundation
import Logging
import NIOCore
import NIOHTTP1
import SensorBridgeCore
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
            if HistoryEndpoint.paths.contains(String(head.path)), head.method == .GET || head.method == .HEAD {
                answerFromHistory(head, context: context)
                return
            }
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

    /// `/api/sessions`, `/api/history`, `/api/export`: answered by the store on a thread of
    /// the history pool, never on the event loop; an export is written as it is read, at
    /// the pace the client takes it (chunked, each piece waiting for the one before).
    private func answerFromHistory(_ head: HTTPRequestHead, context: ChannelHandlerContext) {
        guard let history = clients.history else {
            let body = Array(#"{"error":"history is off: this bridge runs with --no-store"}"#.utf8)
            PlainResponse(status: .notFound, body: ByteBuffer(bytes: body), contentType: "application/json")
                .write(to: context, answering: head)
            return
        }
        let path = String(head.path)
        let query = QueryParameters.parse(uri: head.uri)
        let loop = context.eventLoop
        let channel = context.channel
        let box = NIOLoopBound(context, eventLoop: loop)
        HistoryPool.shared.run {
            let reply = history.answer(path: path, query: query, nowMicros: WallClock.nowMicros())
            switch reply {
            case .json(let status, let body):
                loop.execute {
                    PlainResponse(status: HTTPResponseStatus(statusCode: status), body: ByteBuffer(bytes: body), contentType: "application/json")
                        .write(to: box.value, answering: head)
                }
            case .stream(let contentType, let fileName, let produce):
                var headers = HTTPHeaders()
                headers.add(name: "Content-Type", value: contentType)
                headers.add(name: "Content-Disposition", value: "attachment; filename=\"\(fileName)\"")
                headers.add(name: "Transfer-Encoding", value: "chunked")
                headers.add(name: "Cache-Control", value: "no-store")
                for (name, value) in PlainResponse.securityHeaders { headers.add(name: name, value: value) }
                let responseHead = HTTPResponseHead(version: .http1_1, status: .ok, headers: headers)
                do {
                    try channel.writeAndFlush(HTTPServerResponsePart.head(responseHead)).wait()
                    if head.method == .GET {
                        try produce { bytes in
                            try channel.writeAndFlush(HTTPServerResponsePart.body(.byteBuffer(ByteBuffer(bytes: bytes)))).wait()
                        }
                    }
                    try channel.writeAndFlush(HTTPServerResponsePart.end(nil)).wait()
                } catch {
                    // The client went away, or the store failed mid-way: a cut response is
                    // the only honest end once the head is out.
                    channel.close(promise: nil)
                }
            }
        }
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
