import NIOCore
import NIOWebSocket

/// The checks RFC 6455 asks of every frame a client sends, before any endpoint looks at it:
/// it must be masked (§5.1), use no reserved bits, since the bridge negotiates no extension
/// (§5.2), and no reserved opcode (§5.2); fragments must belong to a message (§5.4): no
/// continuation without a message begun, no new message before the last one ended, no
/// fragmented control frame. A frame that fails is answered with close 1002 and
/// the connection ends; nothing after it is read.
final class ClientFrameValidator: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = WebSocketFrame
    typealias InboundOut = WebSocketFrame
    typealias OutboundOut = WebSocketFrame

    private var failed = false
    /// A text or binary message has begun and its last fragment has not come yet.
    private var inMessage = false

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !failed else { return }
        let frame = unwrapInboundIn(data)
        if let problem = Self.problem(with: frame) ?? sequenceProblem(with: frame) {
            failed = true
            context.closeWebSocket(code: .protocolError, reason: problem)
            return
        }
        context.fireChannelRead(data)
    }

    private func sequenceProblem(with frame: WebSocketFrame) -> String? {
        switch frame.opcode {
        case .text, .binary:
            if inMessage { return "a new message began before the previous one ended" }
            inMessage = !frame.fin
        case .continuation:
            if !inMessage { return "a continuation frame with no message to continue" }
            inMessage = !frame.fin
        default:
            if !frame.fin { return "a control frame must not be fragmented" }
        }
        return nil
    }

    /// Why the frame breaks the protocol, as the close reason (at most 123 bytes), or nil.
    static func problem(with frame: WebSocketFrame) -> String? {
        if frame.maskKey == nil { return "client frames must be masked" }
        if frame.rsv1 || frame.rsv2 || frame.rsv3 { return "reserved bits set; no extension was negotiated" }
        switch frame.opcode {
        case .continuation, .text, .binary, .connectionClose, .ping, .pong: return nil
        default: return "reserved opcode \(UInt8(webSocketOpcode: frame.opcode))"
        }
    }
}
