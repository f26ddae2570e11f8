import SensorBridgeStream
import Logging
import NIOCore
import NIOHTTP1

/// Drops a connection that has not sent a complete request within the timeout: a client
/// that stalls mid-handshake (or idles on a kept-alive connection) must not hold a socket
/// and its memory forever. The clock runs from the connection's start, and again from the
/// end of each response; it stops while a request is being answered and for good once the
/// connection becomes a WebSocket (the upgrade removes this handler).
final class RequestTimeoutHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias InboundOut = HTTPServerRequestPart
    typealias OutboundIn = HTTPServerResponsePart
    typealias OutboundOut = HTTPServerResponsePart

    private let timeout: TimeAmount
    private let log: ThrottledLog
    private var pending: Scheduled<Void>?

    init(timeout: TimeAmount, log: ThrottledLog) {
        self.timeout = timeout
        self.log = log
    }

    func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { arm(context) }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        disarm()
    }

    func channelActive(context: ChannelHandlerContext) {
        arm(context)
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        disarm()
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if case .end = unwrapInboundIn(data) { disarm() }
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let isEnd: Bool
        if case .end = unwrapOutboundIn(data) { isEnd = true } else { isEnd = false }
        context.write(data, promise: promise)
        if isEnd { arm(context) }
    }

    private func arm(_ context: ChannelHandlerContext) {
        disarm()
        let timeout = timeout
        let log = log
        let loopBound = NIOLoopBound(context, eventLoop: context.eventLoop)
        pending = context.eventLoop.scheduleTask(in: timeout) {
            let context = loopBound.value
            let seconds = Double(timeout.nanoseconds) / 1_000_000_000
            log.info("dropped \(context.peerName): no complete request within \(seconds) s")
            PlainResponse(status: .requestTimeout, text: "no complete request within \(seconds) s")
                .write(to: context, answering: nil)
        }
    }

    private func disarm() {
        pending?.cancel()
        pending = nil
    }
}
