import NIOCore
import NIOWebSocket

/// The conformance endpoint (`/echo`, only with `--test-echo-endpoint`): it echoes every
/// message so the Autobahn fuzzing client can check the bridge's framing, fragmentation,
/// UTF-8 and closing rules. It sits behind `ClientFrameValidator` (which a graph client's
/// frames go through too), `TextFrameUTF8Validator` and NIO's frame aggregator.
final class EchoHandler: ChannelInboundHandler {
    typealias InboundIn = WebSocketFrame
    typealias OutboundOut = WebSocketFrame

    private var closing = false

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !closing else { return }
        let frame = unwrapInboundIn(data)
        switch frame.opcode {
        case .text:
            // Already checked for UTF-8, fragment by fragment, by TextFrameUTF8Validator.
            context.writeAndFlush(
                wrapOutboundOut(WebSocketFrame(fin: true, opcode: .text, data: frame.unmaskedData)), promise: nil)
        case .binary:
            context.writeAndFlush(
                wrapOutboundOut(WebSocketFrame(fin: true, opcode: .binary, data: frame.unmaskedData)), promise: nil)
        case .ping:
            context.writeAndFlush(
                wrapOutboundOut(WebSocketFrame(fin: true, opcode: .pong, data: frame.unmaskedData)), promise: nil)
        case .connectionClose:
            close(context, CloseFrameReply(payload: frame.unmaskedData))
        default:
            break  // pongs; the aggregator lets no continuation through
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        // Decoder errors were answered by WebSocketProtocolErrorHandler; this is the aggregator's.
        guard let error = error as? NIOWebSocketFrameAggregator.Error else { return }
        switch error {
        case .accumulatedFrameSizeIsTooLarge, .tooManyFragments:
            close(context, .fail(.messageTooLarge))
        case .nonFinalFragmentSizeIsTooSmall, .receivedNewFrameWithoutFinishingPrevious,
             .didReceiveFragmentBeforeReceivingTextOrBinaryFrame:
            close(context, .fail(.protocolError))
        }
    }

    private func close(_ context: ChannelHandlerContext, _ reply: CloseFrameReply) {
        guard !closing else { return }
        closing = true
        context.closeWebSocket(payload: reply.replyPayload(allocator: context.channel.allocator))
    }
}
