import Logging
import NIOCore
import NIOWebSocket
import SensorBridgeCore
import SensorBridgeStream

/// One browser on `/graph`. Whenever its loop is woken and its socket can take more, it
/// writes the next chunks of its format's `FrameLog`: bytes framed once for every client
/// of that format, written as they are. Only its greeting, the history before the first
/// whole chunk, and a gap notice are made for it alone (`ClientDelivery`, as its
/// `ClientCursor` says). A slow client falls behind alone: its buffers fill, it stops being
/// written to, and when it has fallen further behind than the stream holds it skips ahead
/// (the batched stream is told how many samples it missed). A client that stays behind for
/// longer than the client timeout is closed (1008).
final class GraphClientHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = WebSocketFrame
    typealias OutboundOut = WebSocketFrame

    /// Samples read from the log at a time.
    private static let samplesPerPass = 512

    private let clients: GraphClients
    private let record: ClientRecord
    private let request: StreamRequest
    private let log: ThrottledLog
    private let slot: ClientSlot
    private let sendDesk: SendDesk
    private var stallWatch: StallWatch
    private var context: ChannelHandlerContext?
    /// `context.channel`, kept: each pump asks it whether it takes more, and the context
    /// finds it through the pipeline every time. Let go on removal (it holds the pipeline).
    private var channel: Channel?
    private var delivery: ClientDelivery
    private var fanout: LoopFanout?
    private var closing = false
    private var replies = ClientReplies()
    /// Waiting in this loop's `LoopFanout` for a turn (touched only there, on the loop).
    var isQueued = false

    init(clients: GraphClients, record: ClientRecord, request: StreamRequest, framing: Framing,
         slot: ClientSlot, clientTimeout: TimeAmount, sendRefusal: String? = nil, log: ThrottledLog) {
        self.clients = clients
        self.record = record
        self.request = request
        self.delivery = ClientDelivery(record: record, format: record.stream.wireFormat(framing: framing))
        self.slot = slot
        self.sendDesk = SendDesk(clients: clients, record: record, originRefusal: sendRefusal, log: log)
        self.stallWatch = StallWatch(timeoutMicros: clientTimeout.nanoseconds / 1000)
        self.log = log
    }

    private var stream: SensorStream { clients.stream }

    // MARK: - Lifecycle

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        self.channel = context.channel
        delivery.attach(to: context.pipeline.syncOperations)
        let frameLog = clients.frameLog(record.stream, framing: delivery.format.framing)
        let joinEvent = stream.nextEvent
        let start = clients.start(for: request)
        record.cursor.store(start.sample, ordering: .relaxed)
        let fanout = clients.fanout(for: context.eventLoop)
        fanout.add(self)
        self.fanout = fanout
        clients.register(record)
        HandshakeLog.connected(record, path: "/graph", log: log)
        delivery.begin(stream: stream, start: start, joinEvent: joinEvent, frameLog: frameLog)
        context.flush()
        delivery.publishCounts()
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
        delivery.publishCounts()
        clients.unregister(record)
        slot.release()
        log.info("client \(record.id) disconnected", metadata: [
            "sent": "\(record.samplesSent.load(ordering: .relaxed))",
            "skipped": "\(record.samplesSkipped.load(ordering: .relaxed))",
        ])
        context = nil
        channel = nil
        delivery.detach()
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable {
            if !closing { replies.writeKept(context: context, delivery: &delivery) }
            fanout?.requestTurn(for: self)
        }
        context.fireChannelWritabilityChanged()
    }

    // MARK: - Client frames

    /// Frames reach this handler already checked (masking, reserved bits and opcodes, size);
    /// see `ClientFrameValidator`. The stream is one-way: text and binary frames are read,
    /// so the client's buffer drains, and ignored, except a batched client's `send` message
    /// (one frame). Answers to a full socket wait in `replies`.
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
            replies.pong(frame.unmaskedData, context: context)
        case .text where frame.fin && record.stream == .batched && !closing:
            guard let answer = sendDesk.answer(Array(frame.unmaskedData.readableBytesView)) else { return }
            replies.answer(answer, context: context, delivery: &delivery)
        default:
            break
        }
    }

    // MARK: - Sending

    /// Writes the log's chunks beyond the cursor, as far as the socket takes them and as
    /// `budget` (samples, shared by the clients of this loop's turn) allows, then flushes
    /// once. Returns whether it stopped with more to send and room to send it: then it
    /// wants another turn.
    func pump(budget: inout Int, reads: TurnReads) -> Bool {
        guard let context, let channel, !closing else { return false }
        let wantsMore = delivery.deliver(budget: &budget, samplesPerPass: Self.samplesPerPass, stream: stream, reads: reads) {
            channel.isWritable
        }
        context.flush()
        delivery.publishCounts()
        stallWatch.observe(caughtUp: isCaughtUp(channel), nowMicros: WallClock.nowMicros())
        return wantsMore
    }

    /// Has everything, and its socket takes more: one whose socket stays full is stuck even
    /// when no sample comes (it pings or sends and never reads).
    private func isCaughtUp(_ channel: Channel) -> Bool {
        delivery.cursor.hasAll(streamNextEvent: stream.nextEvent) && channel.isWritable
    }

    // MARK: - Closing

    /// Called every second on the loop: closes the client if it has been behind for too long.
    func evictIfStalled(nowMicros: Int64) {
        guard let context, let channel, !closing else { return }
        // A writable client that is behind is only waiting for its next pump.
        stallWatch.observe(caughtUp: isCaughtUp(channel), nowMicros: nowMicros)
        guard stallWatch.isOverdue(nowMicros: nowMicros) else { return }
        closing = true
        let behind = delivery.cursor.samplesBehind(next: stream.sampleWindow.next)
        clients.countEviction()
        StallEviction.evict(context, record: record, samplesBehind: behind, timeoutMicros: stallWatch.timeoutMicros, log: log)
    }

    /// The server is shutting down: close code 1001 ("going away"), with a reason a page can
    /// show (the bridge was stopped, not lost).
    func closeGoingAway() {
        guard let context, !closing else { return }
        closing = true
        context.closeWebSocket(code: .goingAway, reason: "the bridge stopped")
    }
}
