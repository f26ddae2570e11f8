import NIOCore
import NIOWebSocket

/// Fails a text message with close 1007 at the first fragment whose bytes cannot be UTF-8
/// (RFC 6455 §8.1: "fail fast"), before fragments are put together. Binary messages and
/// control frames pass untouched.
final class TextFrameUTF8Validator: ChannelInboundHandler {
    typealias InboundIn = WebSocketFrame
    typealias InboundOut = WebSocketFrame
    typealias OutboundOut = WebSocketFrame

    /// Set while a text message is arriving in fragments.
    private var textMessage: UTF8StreamValidator?
    private var failed = false

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !failed else { return }
        let frame = unwrapInboundIn(data)
        switch frame.opcode {
        case .text:
            textMessage = UTF8StreamValidator()
            check(frame, context: context)
        case .continuation where textMessage != nil:
            check(frame, context: context)
        default:
            break
        }
        if !failed { context.fireChannelRead(data) }
    }

    private func check(_ frame: WebSocketFrame, context: ChannelHandlerContext) {
        let valid = textMessage!.feed(frame.unmaskedData.readableBytesView)
        if valid && !(frame.fin && !textMessage!.isComplete) {
            if frame.fin { textMessage = nil }
            return
        }
        failed = true
        context.closeWebSocket(code: .dataInconsistentWithMessage)
    }
}
