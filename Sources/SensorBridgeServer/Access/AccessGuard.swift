import SensorBridgeStream
import Logging
import NIOCore
import NIOHTTP1

/// Applies the `AccessPolicy` to every request before any handler answers it: a refused
/// request gets its status and one-line reason, and the connection is closed. Sits in front
/// of both the WebSocket and the plain HTTP handlers, so no endpoint can forget the check.
final class AccessGuard: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias InboundOut = HTTPServerRequestPart

    private let policy: AccessPolicy
    private let log: ThrottledLog
    private var refused = false

    init(policy: AccessPolicy, log: ThrottledLog) {
        self.policy = policy
        self.log = log
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !refused else { return }  // the rest of a refused request
        guard case .head(let head) = unwrapInboundIn(data) else {
            context.fireChannelRead(data)
            return
        }
        let headers = head.headers
        let request = AccessPolicy.Request(
            path: String(head.path),
            query: head.uri.split(separator: "?", maxSplits: 1).dropFirst().first.map(String.init) ?? "",
            hostHeaders: headers["Host"],
            isHTTP11OrLater: head.version.major > 1 || (head.version.major == 1 && head.version.minor >= 1),
            origin: headers["Origin"].first ?? headers["Sec-WebSocket-Origin"].first,
            authorization: headers["Authorization"].first)
        switch policy.decide(request) {
        case .allow:
            context.fireChannelRead(data)
        case .refuse(let status, let reason):
            refused = true
            let peer = context.peerName
            log.notice("refused \(head.method.rawValue) \(head.path) from \(peer): \(status) \(reason)")
            PlainResponse(status: HTTPResponseStatus(statusCode: status), text: reason)
                .write(to: context, answering: head, keepAlive: false)
        }
    }
}
