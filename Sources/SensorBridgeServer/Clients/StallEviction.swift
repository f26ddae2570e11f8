#if canImport(Glibc)
import Glibc
#endif
import NIOCore
import NIOWebSocket
import SensorBridgeStream

/// Closing a client that stayed behind the stream for longer than `--client-timeout`
/// (`StallWatch` decides when): it holds memory and a descriptor for samples it will never
/// see in time.
enum StallEviction {
    /// Logs why and closes with 1008. The client's socket is full, so the close frame may
    /// never go out: it closes without waiting, and with a reset (linger 0), so the kernel
    /// drops the megabytes still queued for it instead of trickling them out for minutes. A
    /// client that reads again sees 1008 if the frame got through, a reset otherwise.
    static func evict(_ context: ChannelHandlerContext, record: ClientRecord, samplesBehind behind: UInt64,
                      timeoutMicros: Int64, log: ThrottledLog) {
        let seconds = Double(timeoutMicros) / 1_000_000
        let why = behind > 0 ? "\(behind) samples behind" : "not reading what it is sent"
        log.notice("closed client \(record.id) (\(record.remoteAddress)): \(why) for more than \(seconds) s (--client-timeout)")
        var payload = context.channel.allocator.buffer(capacity: 64)
        payload.write(webSocketErrorCode: .policyViolation)
        payload.writeString("too slow: behind the stream for more than \(Int(seconds)) s")
        context.writeAndFlush(NIOAny(WebSocketFrame(fin: true, opcode: .connectionClose, data: payload)), promise: nil)
        guard let socket = context.channel as? SocketOptionProvider else {
            context.close(promise: nil)
            return
        }
        let channel = context.channel
        socket.setSoLinger(linger(l_onoff: 1, l_linger: 0)).whenComplete { _ in channel.close(promise: nil) }
    }
}
