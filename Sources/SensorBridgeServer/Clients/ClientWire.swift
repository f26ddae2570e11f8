import NIOCore
import NIOWebSocket

/// Where one graph client's bytes go: complete frames, written past the framing handler
/// (the shared chunks are frames already, so nothing may frame them again), counted per
/// frame and published to the client's record once per pump, as `/api/status` reads them
/// from another loop. Flushing is the caller's, once per turn.
struct ClientWire {
    let format: any WireFormat
    /// The framing handler's context; nil before the client is added and once it is gone.
    private var target: ChannelHandlerContext?
    private var framesSent: UInt64 = 0
    private var bytesSent: UInt64 = 0

    init(format: any WireFormat) { self.format = format }

    /// Finds the handler that frames this client's messages.
    mutating func attach(to pipeline: ChannelPipeline.SynchronousOperations) {
        target = switch format.framing {
        case .webSocket: try? pipeline.context(handlerType: WebSocketFrameEncoder.self)
        case .hixie76: try? pipeline.context(handlerType: HixieFrameCodec.self)
        }
    }

    mutating func detach() { target = nil }

    mutating func write(_ frames: ByteBuffer, count: FrameCount) {
        guard frames.readableBytes > 0, let target else { return }
        target.write(NIOAny(frames), promise: nil)
        framesSent &+= UInt64(count.frames)
        bytesSent &+= UInt64(count.payloadBytes)
    }

    /// One message made for this client alone, framed here.
    mutating func write(message payload: [UInt8]) {
        write(format.framed(payload), count: FrameCount(message: payload))
    }

    func publish(to record: ClientRecord) {
        record.framesSent.store(framesSent, ordering: .relaxed)
        record.bytesSent.store(bytesSent, ordering: .relaxed)
    }
}
