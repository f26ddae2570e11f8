import NIOCore
import NIOWebSocket

extension ChannelHandlerContext {
    /// Sends a close frame and closes the connection once it is written: the server closes
    /// TCP first (RFC 6455 §7.1.1). `reason` goes after the code, at most 123 bytes.
    func closeWebSocket(code: WebSocketErrorCode, reason: String = "") {
        var payload = channel.allocator.buffer(capacity: 2 + reason.utf8.count)
        payload.write(webSocketErrorCode: code)
        payload.writeString(reason)
        closeWebSocket(payload: payload)
    }

    /// The same with a payload already made (an echoed close, or none).
    func closeWebSocket(payload: ByteBuffer) {
        let frame = WebSocketFrame(fin: true, opcode: .connectionClose, data: payload)
        let channel = channel
        writeAndFlush(NIOAny(frame)).whenComplete { _ in channel.close(promise: nil) }
    }
}
