import NIOCore
import NIOWebSocket

/// The checks RFC 6455 asks of every frame a client sends, before any endpoint looks at it:
/// it must be masked (§5.1), use no reserved bits, since the bridge negotiates no extension
/// (§5.2), and no reserved opcode (§5.2). A frame that fails is answered with close 1002 and
/// the connection ends; nothing after it is read.
final class ClientFrameValidator: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = WebSocketFrame
    typealias InboundOut = WebSocketFrame
    typealias OutboundOut = WebSocketFrame

    private var failed = false

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !failed else { return }
        let frame = unwrapInboundIn(data)
        if let problem = Self.problem(with: frame) {
            failed = true
            context.closeWebSocket(code: .protocolError, reason: problem)
            return
        }
        context.fireChannelRead(data)
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
