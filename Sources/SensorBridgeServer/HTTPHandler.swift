import Foundation
import Logging
import NIOCore
import NIOHTTP1
import NIOWebSocket

/// Plain HTTP on the bridge's port: the page, `/api/status`, and the answers for requests
/// that reach `/graph` without becoming a WebSocket. Upgrades are handled before this
/// handler sees the request; a refused upgrade is handed on to it.
final class HTTPHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let hub: SampleHub
    private let pages: PageFiles
    private let logger: Logger
    private var request: HTTPRequestHead?

    init(hub: SampleHub, pages: PageFiles, logger: Logger) {
        self.hub = hub
        self.pages = pages
        self.logger = logger
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            request = head
        case .body:
            break  // no endpoint takes a body
        case .end:
            guard let head = request else { return }
            request = nil
            respond(to: head, context: context)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        if error is NIOWebSocketUpgradeError {
            // The upgrader refused; the request itself follows and gets its answer in `respond`.
            return
        }
        logger.debug("HTTP connection error: \(error)")
        context.close(promise: nil)
    }

    private func respond(to head: HTTPRequestHead, context: ChannelHandlerContext) {
        let path = String(head.uri.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false).first ?? "")
        guard head.method == .GET || head.method == .HEAD else {
            var headers = HTTPHeaders()
            headers.add(name: "Allow", value: "GET, HEAD")
            send(.methodNotAllowed, text: "Only GET and HEAD are served here.\n", headers: headers, head: head, context: context)
            return
        }
        switch path {
        case "/api/status":
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            let body = (try? encoder.encode(hub.statusReport())) ?? Data("{}".utf8)
            send(.ok, body: ByteBuffer(bytes: body), contentType: "application/json", head: head, context: context)
        case "/graph":
            answerNonUpgrade(head, context: context)
        default:
            if let file = pages.file(for: path) {
                send(.ok, body: file.body, contentType: file.contentType, head: head, context: context)
            } else {
                send(.notFound, text: "Not found: \(path)\n", head: head, context: context)
            }
        }
    }

    /// `/graph` is only a WebSocket. A request that is not an upgrade, or an upgrade this
    /// server does not speak (another version), gets 426 saying which version to use.
    private func answerNonUpgrade(_ head: HTTPRequestHead, context: ChannelHandlerContext) {
        var headers = HTTPHeaders()
        headers.add(name: "Sec-WebSocket-Version", value: "13")
        headers.add(name: "Upgrade", value: "websocket")
        let offered = head.headers["Sec-WebSocket-Version"].first ?? "none"
        logger.info("refused WebSocket handshake on /graph", metadata: [
            "version": "\(offered)", "upgrade": "\(head.headers["Upgrade"].first ?? "none")",
            "user-agent": "\(head.headers["User-Agent"].first ?? "-")",
        ])
        send(.upgradeRequired,
             text: "/graph is a WebSocket endpoint (protocol version 13); this request offered version \(offered).\n",
             headers: headers, head: head, context: context, forceClose: true)
    }

    private func send(
        _ status: HTTPResponseStatus, text: String, headers: HTTPHeaders = HTTPHeaders(),
        head: HTTPRequestHead, context: ChannelHandlerContext, forceClose: Bool = false
    ) {
        send(status, body: ByteBuffer(string: text), contentType: "text/plain; charset=utf-8",
             headers: headers, head: head, context: context, forceClose: forceClose)
    }

    private func send(
        _ status: HTTPResponseStatus, body: ByteBuffer, contentType: String, headers: HTTPHeaders = HTTPHeaders(),
        head: HTTPRequestHead, context: ChannelHandlerContext, forceClose: Bool = false
    ) {
        var headers = headers
        headers.add(name: "Content-Type", value: contentType)
        headers.add(name: "Content-Length", value: String(body.readableBytes))
        headers.add(name: "Cache-Control", value: "no-store")
        let keepAlive = head.isKeepAlive && !forceClose
        headers.add(name: "Connection", value: keepAlive ? "keep-alive" : "close")
        let response = HTTPResponseHead(version: head.version, status: status, headers: headers)
        context.write(wrapOutboundOut(.head(response)), promise: nil)
        if head.method != .HEAD {
            context.write(wrapOutboundOut(.body(.byteBuffer(body))), promise: nil)
        }
        let done = context.writeAndFlush(wrapOutboundOut(.end(nil)))
        if !keepAlive {
            done.whenComplete { _ in context.close(promise: nil) }
        }
    }
}
