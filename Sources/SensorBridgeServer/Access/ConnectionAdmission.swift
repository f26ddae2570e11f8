import SensorBridgeStream
import NIOCore

/// First in every connection's pipeline, for its whole life (it stays through the upgrade):
/// admits the connection under the limits (see `ConnectionLimiter`), or answers 503 and
/// closes it at once; tells the limiter when the connection first speaks.
final class ConnectionAdmission: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    private let limiter: ConnectionLimiter
    private let log: ThrottledLog
    private var admitted: (id: UInt64, address: String)?
    private var silent = true
    private var refused = false

    init(limiter: ConnectionLimiter, log: ThrottledLog) {
        self.limiter = limiter
        self.log = log
    }

    func channelActive(context: ChannelHandlerContext) {
        let address = context.remoteAddress?.ipAddress ?? "unknown"
        let channel = context.channel
        let peer = context.peerName
        let log = log
        let admission = limiter.admit(address) {
            log.notice("closed \(peer): connections are at the descriptor limit, and this one had sent nothing while a new one waited")
            channel.close(promise: nil)
        }
        let text: String
        switch admission {
        case .admitted(let id):
            admitted = (id, address)
            context.fireChannelActive()
            return
        case .address:
            log.notice("refused a connection from \(address): it already has \(limiter.maxPerAddress) open (--max-connections-per-address)")
            text = "too many connections from your address (at most \(limiter.maxPerAddress))\n"
        case .full:
            log.notice("refused a connection from \(address): \(limiter.maxConnections) connections are open, the most the descriptor limit allows")
            text = "the bridge has as many connections as it can take; try again later\n"
        }
        refused = true
        let response = "HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: \(text.utf8.count)\r\nRetry-After: 5\r\nConnection: close\r\n\r\n\(text)"
        context.writeAndFlush(NIOAny(context.channel.allocator.buffer(string: response))).whenComplete { _ in
            channel.close(promise: nil)
        }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !refused else { return }
        if silent, let admitted {
            silent = false
            limiter.spoke(admitted.id)
        }
        context.fireChannelRead(data)
    }

    func channelInactive(context: ChannelHandlerContext) {
        if let admitted {
            limiter.release(admitted.id, address: admitted.address)
            self.admitted = nil
        }
        if !refused { context.fireChannelInactive() }
    }
}
