#if canImport(Glibc)
import Glibc
#endif
import Logging
import NIOCore
import NIOWebSocket
import SensorBridgeCore

/// One browser on `/graph`. It reads the ring from its own cursor whenever the loop is woken
/// and its socket can take more, so a slow client falls behind alone: its kernel and channel
/// buffers fill, it stops being written to, and when it has fallen further behind than the
/// ring holds it skips ahead (the batched stream is told how many samples it missed).
/// A client that stays behind for longer than the client timeout is closed (1008).
final class GraphClientHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = WebSocketFrame
    typealias OutboundOut = WebSocketFrame

    /// Samples read from the ring at a time.
    private static let samplesPerPass = 512

    private let hub: SampleHub
    private let record: ClientRecord
    private let request: StreamRequest
    private let log: FloodLog
    private let slot: ClientSlot
    private var stallWatch: StallWatch
    private var context: ChannelHandlerContext?
    private var fanout: LoopFanout?
    private var cursor: UInt64 = 0
    private var announcedLayout: ChannelLayout?
    private var closing = false
    /// Waiting in this loop's `LoopFanout` for a turn (touched only there, on the loop).
    var isQueued = false
    /// Counted here per frame, published to `record` once per pump (the status reads it).
    private var framesSent: UInt64 = 0
    private var bytesSent: UInt64 = 0

    init(hub: SampleHub, record: ClientRecord, request: StreamRequest, slot: ClientSlot,
         clientTimeout: TimeAmount, log: FloodLog) {
        self.hub = hub
        self.record = record
        self.request = request
        self.slot = slot
        self.stallWatch = StallWatch(timeoutMicros: clientTimeout.nanoseconds / 1000)
        self.log = log
    }

    // MARK: - Lifecycle

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        cursor = hub.startSequence(for: request)
        record.cursor.store(cursor, ordering: .relaxed)
        let fanout = hub.fanout(for: context.eventLoop)
        fanout.add(self)
        self.fanout = fanout
        hub.register(record)
        HandshakeLog.connected(record, path: "/graph", log: log)
        if record.stream == .batched {
            let layout = hub.channelLayout
            announcedLayout = layout
            let source = hub.sourceStatus
            let first = max(cursor, hub.ring.oldestSequence)
            let hello = BatchMessages.hello(
                source: source.name, stream: hub.streamID, channels: layout?.names ?? [], first: first,
                historySamples: hub.ring.nextSequence - min(first, hub.ring.nextSequence),
                state: source.state.rawValue, detail: source.detail
            )
            send(ByteBuffer(bytes: hello), flush: false)
        }
        context.flush()
        fanout.requestTurn(for: self)
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        detach()
    }

    func channelInactive(context: ChannelHandlerContext) {
        detach()
        context.fireChannelInactive()
    }

    private func detach() {
        guard let fanout else { return }
        fanout.remove(self)
        self.fanout = nil
        publishCounts()
        hub.unregister(record)
        slot.release()
        log.info("client \(record.id) disconnected", metadata: [
            "sent": "\(record.samplesSent.load(ordering: .relaxed))",
            "skipped": "\(record.samplesSkipped.load(ordering: .relaxed))",
        ])
        context = nil
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable { fanout?.requestTurn(for: self) }
        context.fireChannelWritabilityChanged()
    }

    // MARK: - Client frames

    /// Frames reach this handler already checked (masking, reserved bits and opcodes, size);
    /// see `ClientFrameValidator`. The stream is one-way: text and binary frames are read,
    /// so the client's buffer drains, and ignored.
    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = unwrapInboundIn(data)
        switch frame.opcode {
        case .connectionClose:
            guard !closing else {
                // The client's answer to our close: the handshake is complete.
                context.close(promise: nil)
                return
            }
            closing = true
            let reply = CloseFrameReply(payload: frame.unmaskedData)
            context.closeWebSocket(payload: reply.replyPayload(allocator: context.channel.allocator))
        case .ping:
            let pong = WebSocketFrame(fin: true, opcode: .pong, data: frame.unmaskedData)
            context.writeAndFlush(wrapOutboundOut(pong), promise: nil)
        default:
            break
        }
    }

    // MARK: - Sending

    /// Writes what the ring holds beyond the cursor, as far as the socket takes it and as
    /// `budget` (samples, shared by the clients of this loop's turn) allows. Returns whether
    /// it stopped with more to send and room to send it: then it wants another turn.
    func pump(budget: inout Int) -> Bool {
        guard let context, !closing else { return false }
        var wantsMore = false
        while context.channel.isWritable {
            guard budget > 0 else {
                wantsMore = cursor < hub.ring.nextSequence
                break
            }
            let batch = hub.ring.read(from: cursor, limit: Self.samplesPerPass)
            if batch.missed > 0 {
                record.samplesSkipped.wrappingAdd(batch.missed, ordering: .relaxed)
                if record.stream == .batched {
                    send(ByteBuffer(bytes: BatchMessages.gap(missed: batch.missed, resume: batch.first)), flush: false)
                }
            }
            cursor = batch.next
            record.cursor.store(cursor, ordering: .relaxed)
            guard !batch.elements.isEmpty else { break }
            switch record.stream {
            case .perSample:
                for entry in batch.elements { send(entry.json, flush: false) }
            case .batched:
                sendBatched(batch)
            }
            record.samplesSent.wrappingAdd(UInt64(batch.elements.count), ordering: .relaxed)
            budget -= batch.elements.count
        }
        context.flush()
        publishCounts()
        stallWatch.observe(caughtUp: cursor >= hub.ring.nextSequence, nowMicros: WallClock.nowMicros())
        return wantsMore
    }

    /// Called every second on the loop: closes the client if it has been behind for too long.
    func evictIfStalled(nowMicros: Int64) {
        guard let context, !closing else { return }
        // A writable client that is behind is only waiting for its next pump.
        stallWatch.observe(caughtUp: cursor >= hub.ring.nextSequence, nowMicros: nowMicros)
        guard stallWatch.isOverdue(nowMicros: nowMicros) else { return }
        closing = true
        let seconds = Double(stallWatch.timeoutMicros) / 1_000_000
        let behind = hub.ring.nextSequence - min(cursor, hub.ring.nextSequence)
        hub.countEviction()
        log.notice("closed client \(record.id) (\(record.remoteAddress)): \(behind) samples behind for more than \(seconds) s (--client-timeout)")
        // Its socket is full, so the close frame may never go out: close without waiting, and
        // with a reset (linger 0), so the kernel drops the megabytes still queued for it
        // instead of trickling them out for minutes. A client that reads again sees 1008 if
        // the frame got through, a reset otherwise.
        var payload = context.channel.allocator.buffer(capacity: 64)
        payload.write(webSocketErrorCode: .policyViolation)
        payload.writeString("too slow: behind the stream for more than \(Int(seconds)) s")
        context.writeAndFlush(wrapOutboundOut(WebSocketFrame(fin: true, opcode: .connectionClose, data: payload)), promise: nil)
        guard let socket = context.channel as? SocketOptionProvider else {
            context.close(promise: nil)
            return
        }
        let channel = context.channel
        socket.setSoLinger(linger(l_onoff: 1, l_linger: 0)).whenComplete { _ in channel.close(promise: nil) }
    }

    /// One `samples` message per run of samples with the same channels, a `channels`
    /// message before each change.
    private func sendBatched(_ batch: SampleRing<StreamEntry>.Batch) {
        var sequence = batch.first
        var message: ByteBuffer? = nil
        func finish() {
            if var done = message {
                done.writeBytes(BatchMessages.samplesSuffix)
                send(done, flush: false)
                message = nil
            }
        }
        for entry in batch.elements {
            if entry.sample.layout !== announcedLayout {
                finish()
                announcedLayout = entry.sample.layout
                send(ByteBuffer(bytes: BatchMessages.channels(entry.sample.layout.names, from: sequence)), flush: false)
            }
            if message == nil {
                var buffer = ByteBuffer(bytes: BatchMessages.samplesPrefix(first: sequence))
                buffer.writeImmutableBuffer(entry.json)
                message = buffer
            } else {
                message!.writeInteger(UInt8(ascii: ","))
                message!.writeImmutableBuffer(entry.json)
            }
            sequence += 1
        }
        finish()
    }

    private func publishCounts() {
        record.framesSent.store(framesSent, ordering: .relaxed)
        record.bytesSent.store(bytesSent, ordering: .relaxed)
    }

    func sendStatus(_ message: ByteBuffer) {
        guard record.stream == .batched, !closing else { return }
        send(message, flush: true)
    }

    private func send(_ payload: ByteBuffer, flush: Bool) {
        guard let context else { return }
        let frame = WebSocketFrame(fin: true, opcode: .text, data: payload)
        framesSent &+= 1
        bytesSent &+= UInt64(payload.readableBytes)
        if flush {
            publishCounts()
            context.writeAndFlush(wrapOutboundOut(frame), promise: nil)
        } else {
            context.write(wrapOutboundOut(frame), promise: nil)
        }
    }

    // MARK: - Closing

    /// The server is shutting down: close code 1001 ("going away").
    func closeGoingAway() {
        guard let context, !closing else { return }
        closing = true
        context.closeWebSocket(code: .goingAway)
    }
}
