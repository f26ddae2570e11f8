import SensorBridgeStream
import Logging
import NIOCore
import NIOWebSocket

/// Speaks hixie-76 on the wire and `WebSocketFrame`s to the handler behind it, so a hixie
/// client gets the same stream handler as everyone else. It first waits for key3 (the 8
/// bytes after the request's headers), answers the handshake, and only then adds the stream
/// handler, so no frame can go out before the answer.
///
/// Framing: text is `0x00 <UTF-8> 0xFF`; `0xFF 0x00` closes. Frames whose type byte has the
/// high bit set carry a length and are skipped (the draft defines no use for them but close).
final class HixieFrameCodec: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = WebSocketFrame
    typealias OutboundIn = WebSocketFrame
    typealias OutboundOut = ByteBuffer

    private enum State {
        case awaitingKey3
        case open
        case failed
    }

    private let handshake: Hixie76Handshake
    private let maxFrameBytes: Int
    private let timeout: TimeAmount
    private let log: ThrottledLog
    private var streamHandler: ChannelHandler?
    private var state = State.awaitingKey3
    private var received: ByteBuffer?
    private var key3Deadline: Scheduled<Void>?
    private var closeSent = false

    /// - Parameter streamHandler: added behind this codec once the handshake is answered.
    init(handshake: Hixie76Handshake, streamHandler: ChannelHandler, maxFrameBytes: Int, timeout: TimeAmount, log: ThrottledLog) {
        self.handshake = handshake
        self.streamHandler = streamHandler
        self.maxFrameBytes = maxFrameBytes
        self.timeout = timeout
        self.log = log
    }

    func handlerAdded(context: ChannelHandlerContext) {
        let loopBound = NIOLoopBound(context, eventLoop: context.eventLoop)
        let log = log
        key3Deadline = context.eventLoop.scheduleTask(in: timeout) {
            let context = loopBound.value
            log.info("dropped hixie-76 client \(context.peerName): no key3 within the handshake timeout")
            context.close(promise: nil)
        }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        key3Deadline?.cancel()
    }

    // MARK: - Inbound

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var bytes = unwrapInboundIn(data)
        if received == nil {
            received = bytes
        } else {
            received!.writeBuffer(&bytes)
        }
        if case .awaitingKey3 = state {
            guard let key3 = received!.readBytes(length: 8) else { return }
            answer(key3: key3, context: context)
        }
        while case .open = state, let frame = nextFrame(context: context) {
            context.fireChannelRead(wrapInboundOut(frame))
        }
        received?.discardReadBytes()
    }

    private func answer(key3: [UInt8], context: ChannelHandlerContext) {
        key3Deadline?.cancel()
        key3Deadline = nil
        state = .open
        context.writeAndFlush(wrapOutboundOut(ByteBuffer(bytes: handshake.response(key3: key3))), promise: nil)
        if let streamHandler {
            self.streamHandler = nil
            do {
                try context.pipeline.syncOperations.addHandler(streamHandler, position: .after(self))
            } catch {
                log.notice("could not start the hixie-76 stream: \(error)")
                context.close(promise: nil)
            }
        }
    }

    /// The next complete frame in `received`, or nil when more bytes are needed (or the
    /// connection was failed). Frames of undefined types are consumed and skipped.
    private func nextFrame(context: ChannelHandlerContext) -> WebSocketFrame? {
        while var buffer = received, let type = buffer.readInteger(as: UInt8.self) {
            if type & 0x80 == 0 {
                // Sentinel-delimited: everything up to 0xFF.
                let view = buffer.readableBytesView
                guard let end = view.firstIndex(of: 0xFF) else {
                    if view.count > maxFrameBytes { fail(context, "a text frame longer than \(maxFrameBytes) bytes") }
                    return nil
                }
                let payload = buffer.readSlice(length: end - view.startIndex)!
                buffer.moveReaderIndex(forwardBy: 1)
                received = buffer
                // Only type 0x00 (text) is defined; others are read and discarded, as the draft says.
                if type == 0x00 { return WebSocketFrame(fin: true, opcode: .text, data: payload) }
                continue
            }
            // Length-prefixed: a base-128 length, high bit meaning "more".
            var length = 0
            while true {
                guard let byte = buffer.readInteger(as: UInt8.self) else { return nil }
                length = length << 7 | Int(byte & 0x7F)
                if length > maxFrameBytes {
                    fail(context, "a length-prefixed frame longer than \(maxFrameBytes) bytes")
                    return nil
                }
                if byte & 0x80 == 0 { break }
            }
            if type == 0xFF && length == 0 {
                received = buffer
                return WebSocketFrame(fin: true, opcode: .connectionClose, data: ByteBuffer())
            }
            guard buffer.readableBytes >= length else { return nil }
            buffer.moveReaderIndex(forwardBy: length)
            received = buffer
        }
        return nil
    }

    private func fail(_ context: ChannelHandlerContext, _ reason: String) {
        state = .failed
        received = nil
        log.info("closing hixie-76 client \(context.peerName): it sent \(reason)")
        context.close(promise: nil)
    }

    // MARK: - Outbound

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let frame = unwrapOutboundIn(data)
        switch frame.opcode {
        case .text:
            var payload = frame.data
            var bytes = context.channel.allocator.buffer(capacity: payload.readableBytes + 2)
            bytes.writeInteger(UInt8(0x00))
            bytes.writeBuffer(&payload)
            bytes.writeInteger(UInt8(0xFF))
            context.write(wrapOutboundOut(bytes), promise: promise)
        case .connectionClose where !closeSent:
            closeSent = true
            context.write(wrapOutboundOut(ByteBuffer(bytes: [0xFF, 0x00])), promise: promise)
        default:
            // Pings, pongs and binary frames do not exist in hixie-76; a second close is redundant.
            promise?.succeed(())
        }
    }
}
