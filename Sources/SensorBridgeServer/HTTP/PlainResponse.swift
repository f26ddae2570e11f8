import NIOCore
import NIOHTTP1

/// A complete, non-streaming HTTP response: the page, the status JSON, and every refusal.
/// Shared by the HTTP handler and the WebSocket handshake, so that both answer the same way.
struct PlainResponse {
    /// On every answer: no MIME sniffing, no framing by other sites (clickjacking), no
    /// referrer (the page's address may carry the access token), and a policy that lets
    /// the page load only its own scripts and styles and connect only to its own bridge.
    static let securityHeaders: [(String, String)] = [
        ("X-Content-Type-Options", "nosniff"),
        ("X-Frame-Options", "DENY"),
        ("Referrer-Policy", "no-referrer"),
        ("Content-Security-Policy", PagePolicy.strict.contentSecurityPolicy),
    ]

    var status: HTTPResponseStatus
    var body: ByteBuffer
    var contentType: String
    var headers = HTTPHeaders()
    /// The policy of a page file; every other answer is under the strict one.
    var policy = PagePolicy.strict

    init(status: HTTPResponseStatus, body: ByteBuffer, contentType: String, headers: HTTPHeaders = HTTPHeaders()) {
        self.status = status
        self.body = body
        self.contentType = contentType
        self.headers = headers
    }

    /// A one-line text answer (refusals and errors say why in one line).
    init(status: HTTPResponseStatus, text: String, headers: HTTPHeaders = HTTPHeaders()) {
        self.init(status: status, body: ByteBuffer(string: text.hasSuffix("\n") ? text : text + "\n"),
                  contentType: "text/plain; charset=utf-8", headers: headers)
    }

    /// Writes the response; closes the connection afterwards unless both sides keep it alive.
    /// - Parameter request: the request answered, or nil when it could not be read.
    func write(to context: ChannelHandlerContext, answering request: HTTPRequestHead?, keepAlive: Bool = true) {
        var headers = headers
        headers.add(name: "Content-Type", value: contentType)
        headers.add(name: "Content-Length", value: String(body.readableBytes))
        headers.add(name: "Cache-Control", value: "no-store")
        for (name, value) in Self.securityHeaders {
            headers.add(name: name, value: name == "Content-Security-Policy" ? policy.contentSecurityPolicy : value)
        }
        let keepOpen = keepAlive && (request?.isKeepAlive ?? false)
        headers.add(name: "Connection", value: keepOpen ? "keep-alive" : "close")
        let version = request?.version ?? .http1_1
        let head = HTTPResponseHead(version: version.major == 1 ? version : .http1_1, status: status, headers: headers)
        context.write(NIOAny(HTTPServerResponsePart.head(head)), promise: nil)
        if request?.method != .HEAD {
            context.write(NIOAny(HTTPServerResponsePart.body(.byteBuffer(body))), promise: nil)
        }
        let done = context.writeAndFlush(NIOAny(HTTPServerResponsePart.end(nil)))
        if !keepOpen {
            let channel = context.channel
            done.whenComplete { _ in channel.close(promise: nil) }
        }
    }
}
