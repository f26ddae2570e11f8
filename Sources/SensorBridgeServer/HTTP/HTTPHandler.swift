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

    /// The bridge's sources; `source=NAME` picks one, the first answers otherwise.
    private let bridgeSources: BridgeSources
    private let pages: PageFiles
    private let maxHeaderBytes: Int
    private let logger: Logger
    private let log: ThrottledLog
    private var request: HTTPRequestHead?
    private var failed = false
    /// The body of a policy report being read; nil when it grew too big (refused unread).
    private var reportBody: [UInt8]? = []

    /// How long an export may wait for its client to take the next piece.
    private let stallTimeout: TimeAmount

    /// `/api/sources`, under the same rule as sending lines to the board.
    private let sources: SourceRequests

    init(sources: BridgeSources, pages: PageFiles, maxHeaderBytes: Int, logger: Logger, log: ThrottledLog,
         stallTimeout: TimeAmount = .seconds(30), access: AccessPolicy = .open) {
        self.stallTimeout = stallTimeout
        self.sources = SourceRequests(sources: sources, access: access, log: log)
        self.bridgeSources = sources
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
            // A report declared too big is refused before a byte of it is read.
            let declared = head.headers["Content-Length"].first.flatMap { Int($0) } ?? 0
            reportBody = Self.isPolicyReport(head) && declared > PolicyViolationReport.maxBodyBytes ? nil : []
            if reportBody == nil {
                failed = true
                PlainResponse(status: .payloadTooLarge, text: "a policy report is at most \(PolicyViolationReport.maxBodyBytes) bytes")
                    .write(to: context, answering: head, keepAlive: false)
            }
        case .body(let part):
            // Only a policy report has a body worth reading, and only a small one.
            guard request.map(Self.isPolicyReport) == true, var body = reportBody else { return }
            reportBody = nil
            if body.count + part.readableBytes <= PolicyViolationReport.maxBodyBytes {
                body += part.readableBytesView
                reportBody = body
            }
        case .end:
            guard let head = request else { return }
            request = nil
            if Self.isPolicyReport(head) {
                answerPolicyReport(head, context: context)
                return
            }
            if head.path.hasPrefix(SourceEndpoint.prefix) {
                sources.answer(head, context: context)
                return
            }
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
        let (clients, query) = bridgeSources.route(QueryParameters.parse(uri: head.uri))
        guard let history = clients.history else {
            let body = Array(#"{"error":"history is off: this bridge runs with --no-store"}"#.utf8)
            PlainResponse(status: .notFound, body: ByteBuffer(bytes: body), contentType: "application/json")
                .write(to: context, answering: head)
            return
        }
        let path = String(head.path)
        let loop = context.eventLoop
        let channel = context.channel
        let box = NIOLoopBound(context, eventLoop: loop)
        let stall = stallTimeout
        HistoryPool.queries.run(on: channel) {
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
                // Each piece waits for the one before: a client that stops reading for
                // `stall` is closed, which ends the export and frees its thread.
                @Sendable func send(_ part: HTTPServerResponsePart) throws {
                    if HistoryPool.exports.isClosing { throw ChannelError.ioOnClosedChannel }
                    let watchdog = channel.eventLoop.scheduleTask(in: stall) { channel.close(promise: nil) }
                    defer { watchdog.cancel() }
                    try channel.writeAndFlush(part).wait()
                }
                HistoryPool.exports.run(on: channel) {
                    do {
                        try send(.head(responseHead))
                        if head.method == .GET {
                            try produce { bytes in try send(.body(.byteBuffer(ByteBuffer(bytes: bytes)))) }
                        }
                        try send(.end(nil))
                    } catch {
                        // The client went away, or the store failed mid-way: a cut response is
                        // the only honest end once the head is out.
                        channel.close(promise: nil)
                    }
                }
            }
        }
    }

    private static func isPolicyReport(_ head: HTTPRequestHead) -> Bool {
        head.method == .POST && head.path == PagePolicy.reportPath
    }

    /// What the page's policy blocked goes to the log as a sentence (throttled: the endpoint
    /// is open to any client the access rules let in); the browser gets 204.
    private func answerPolicyReport(_ head: HTTPRequestHead, context: ChannelHandlerContext) {
        guard let body = reportBody else {
            PlainResponse(status: .payloadTooLarge, text: "a policy report is at most \(PolicyViolationReport.maxBodyBytes) bytes")
                .write(to: context, answering: head, keepAlive: false)
            return
        }
        reportBody = []
        let keepAlive = !Self.asksForUpgrade(head)
        guard let report = PolicyViolationReport.parse(body) else {
            PlainResponse(status: .badRequest, text: "not a Content-Security-Policy report").write(to: context, answering: head, keepAlive: keepAlive)
            return
        }
        log.warning(report.sentence(servingFolder: pages.isFolder, policy: pages.policy))
        PlainResponse(status: .noContent, body: ByteBuffer(), contentType: "text/plain; charset=utf-8")
            .write(to: context, answering: head, keepAlive: keepAlive)
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
            var report = bridgeSources.first.statusReport()
            report.sources = bridgeSources.all.map(\.summary)
            let body = (try? encoder.encode(report)) ?? Data("{}".utf8)
            return PlainResponse(status: .ok, body: ByteBuffer(bytes: body), contentType: "application/json")
        }
        if path == "/api/lines" {
            let after = StreamRequest(uri: head.uri).resumeAfter ?? 0  // the same `after=` as /graph's
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            guard let clients = bridgeSources.requested(by: head.uri) else {
                return PlainResponse(status: .notFound, text: bridgeSources.refusal(for: head.uri))
            }
            let body = (try? encoder.encode(MonitorLines(clients.monitor?.entries(after: after) ?? []))) ?? Data("{}".utf8)
            return PlainResponse(status: .ok, body: ByteBuffer(bytes: body), contentType: "application/json")
        }
        if path == "/metrics" {
            return PlainResponse(status: .ok, body: ByteBuffer(bytes: MetricsText.render(bridgeSources.first.statusReport())),
                                 contentType: MetricsText.contentType)
        }
        if let file = pages.file(for: path) {
            var response = PlainResponse(status: .ok, body: file.body, contentType: file.contentType)
            response.policy = pages.policy
            return response
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
