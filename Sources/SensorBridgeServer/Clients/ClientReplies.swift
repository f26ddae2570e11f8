import NIOCore
import NIOWebSocket

/// What one client is answered alone: pongs and `send` answers. They go out at once when
/// its socket takes more, and are kept while it is full, to be written when it drains: the
/// newest pong (it answers every ping before it) and the last few answers. A client that
/// pings or sends and never reads makes the bridge keep no more than these, and one that
/// reads during a long catch-up still gets its pongs.
struct ClientReplies {
    static let maxAnswers = 8

    private(set) var pong: ByteBuffer?
    private(set) var answers: [[UInt8]] = []

    var isEmpty: Bool { pong == nil && answers.isEmpty }

    /// Answers a ping now, or keeps the pong in place of any older one.
    mutating func pong(_ data: ByteBuffer, context: ChannelHandlerContext) {
        guard context.channel.isWritable else { return pong = data }
        context.writeAndFlush(NIOAny(WebSocketFrame(fin: true, opcode: .pong, data: data)), promise: nil)
    }

    /// Writes an answer now, or keeps it (dropping the oldest when `maxAnswers` are kept).
    mutating func answer(_ message: [UInt8], context: ChannelHandlerContext, delivery: inout ClientDelivery) {
        guard context.channel.isWritable else {
            if answers.count == Self.maxAnswers { answers.removeFirst() }
            return answers.append(message)
        }
        delivery.write(message: message)
        context.flush()
    }

    /// Writes what was kept, the pong first, once the socket takes more.
    mutating func writeKept(context: ChannelHandlerContext, delivery: inout ClientDelivery) {
        guard !isEmpty else { return }
        if let pong { context.write(NIOAny(WebSocketFrame(fin: true, opcode: .pong, data: pong)), promise: nil) }
        for answer in answers { delivery.write(message: answer) }
        pong = nil
        answers.removeAll()
        context.flush()
    }
}
