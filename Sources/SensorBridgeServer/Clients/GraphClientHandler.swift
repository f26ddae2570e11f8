#if canImport(Glibc)
import Glibc
#endif
import Logging
import NIOCore
import NIOWebSocket
import SensorBridgeCore
import SensorBridgeStream

/// One browser on `/graph`. Whenever its loop is woken and its socket can take more, it
/// writes the next chunks of its format's `FrameLog`: bytes framed once for every client
/// of that format, written as they are. Only its greeting, the history before the first
/// whole chunk, and a gap notice are made for it alone. A slow client falls behind alone:
/// its buffers fill, it stops being written to, and when it has fallen further behind than
/// the stream holds it skips ahead (the batched stream is told how many samples it missed).
/// A client that stays behind for longer than the client timeout is closed (1008).
final class GraphClientHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = WebSocketFrame
    typealias OutboundOut = WebSocketFrame

    /// Samples read from the log at a time.
    private static let samplesPerPass = 512

    private let clients: GraphClients
    private let record: ClientRecord
    private let request: StreamRequest
    private let framing: Framing
    private let format: any WireFormat
    private let log: ThrottledLog
    private let slot: ClientSlot
    /// Why this client may not send lines to the board (its Origin), or nil when it may.
    private let sendRefusal: String?
    private var stallWatch: StallWatch
    private var context: ChannelHandlerContext?
    /// The framing handler's context: bytes written there are already frames and skip it.
    private var wire: ChannelHandlerContext?
    private var frameLog: FrameLog?
    private var fanout: LoopFanout?
    /// The next chunk of the log to write.
    private var nextChunk: UInt64 = 0
    /// The stream event after the last one delivered.
    private var nextEvent: UInt64 = 0
    /// The sample number due next; a chunk that starts later means samples were missed.
    private var nextSample: UInt64 = 0
    /// State changes before this event are older than the greeting, which told the state.
    private var joinEvent: UInt64 = 0
    private var announcedLayout: ChannelLayout?
    private var closing = false
    /// Answers for this client that came while its socket was full, written when it takes
    /// more: the newest pong (it answers every ping before it) and a few `send` answers. A
    /// client that never reads gets no more than these queued.
    private var pendingPong: ByteBuffer?
    private var pendingAnswers: [[UInt8]] = []
    private static let maxPendingAnswers = 8
    /// Waiting in this loop's `LoopFanout` for a turn (touched only there, on the loop).
    var isQueued = false
    /// Counted here per frame, published to `record` once per pump (the status reads it).
    private var framesSent: UInt64 = 0
    private var bytesSent: UInt64 = 0

    init(clients: GraphClients, record: ClientRecord, request: StreamRequest, framing: Framing,
         slot: ClientSlot, clientTimeout: TimeAmount, sendRefusal: String? = nil, log: ThrottledLog) {
        self.sendRefusal = sendRefusal
        self.clients = clients
        self.record = record
        self.request = request
        self.framing = framing
        self.format = record.stream.wireFormat(framing: framing)
        self.slot = slot
        self.stallWatch = StallWatch(timeoutMicros: clientTimeout.nanoseconds / 1000)
        self.log = log
    }

    private var stream: SensorStream { clients.stream }

    // MARK: - Lifecycle

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        let pipeline = context.pipeline.syncOperations
        wire = switch framing {
        case .webSocket: try? pipeline.context(handlerType: WebSocketFrameEncoder.self)
        case .hixie76: try? pipeline.context(handlerType: HixieFrameCodec.self)
        }
        let frameLog = clients.frameLog(record.stream, framing: framing)
        self.frameLog = frameLog
        joinEvent = stream.nextEvent
        let start = clients.start(for: request)
        nextSample = start.sample
        nextEvent = start.event
        record.cursor.store(nextSample, ordering: .relaxed)
        let fanout = clients.fanout(for: context.eventLoop)
        fanout.add(self)
        self.fanout = fanout
        clients.register(record)
        HandshakeLog.connected(record, path: "/graph", log: log)

        let source = stream.sourceStatus
        let layout = stream.channelLayout
        announcedLayout = layout
        let window = stream.sampleWindow
        let first = max(nextSample, window.oldest)
        let greeting = StreamGreeting(
            source: source.name, stream: stream.streamID, channels: layout?.names ?? [], first: first,
            historySamples: window.next - min(first, window.next), state: source.state, detail: source.detail)
        if let hello = format.hello(greeting) { writeMessage(hello) }
        let located = frameLog.locate(event: start.event)
        nextChunk = located.chunk
        if located.headEnd > start.event { writeHead(events: start.event..<located.headEnd) }
        context.flush()
        publishCounts()
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
        clients.unregister(record)
        slot.release()
        log.info("client \(record.id) disconnected", metadata: [
            "sent": "\(record.samplesSent.load(ordering: .relaxed))",
            "skipped": "\(record.samplesSkipped.load(ordering: .relaxed))",
        ])
        context = nil
        wire = nil
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable {
            writePending(context: context)
            fanout?.requestTurn(for: self)
        }
        context.fireChannelWritabilityChanged()
    }

    private func writePending(context: ChannelHandlerContext) {
        guard !closing, pendingPong != nil || !pendingAnswers.isEmpty else { return }
        if let pong = pendingPong {
            context.write(wrapOutboundOut(WebSocketFrame(fin: true, opcode: .pong, data: pong)), promise: nil)
            pendingPong = nil
        }
        for answer in pendingAnswers { writeMessage(answer) }
        pendingAnswers.removeAll()
        context.flush()
    }

    // MARK: - Client frames

    /// Frames reach this handler already checked (masking, reserved bits and opcodes, size);
    /// see `ClientFrameValidator`. The stream is one-way: text and binary frames are read,
    /// so the client's buffer drains, and ignored, except a batched client's `send` message
    /// (one frame).
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
            // A client that pings and never reads would have its pongs queued without end.
            guard context.channel.isWritable else {
                pendingPong = frame.unmaskedData
                return
            }
            let pong = WebSocketFrame(fin: true, opcode: .pong, data: frame.unmaskedData)
            context.writeAndFlush(wrapOutboundOut(pong), promise: nil)
        case .text where frame.fin && record.stream == .batched && !closing:
            handleMessage(Array(frame.unmaskedData.readableBytesView), context: context)
        default:
            break
        }
    }

    /// A `send` is answered to this client alone: `sent`, or `send-refused` with the reason.
    /// Other messages are ignored, so that newer pages can talk to older bridges.
    private func handleMessage(_ text: [UInt8], context: ChannelHandlerContext) {
        let request: SendRequest
        switch SendRequest.parse(text) {
        case .failure(.notAMessage), .failure(.unknownType):
            return
        case .failure(.invalid(let reason)):
            answer(BatchMessages.sendResult(line: "", refusal: reason), context: context)
            return
        case .success(let parsed):
            request = parsed
        }
        var refusal = sendRefusal
        if refusal == nil, clients.sender == nil {
            refusal = clients.stream.sourceStatus.kind.boardIsElsewhere
                ? "this bridge relays another bridge's stream through a broker; send at the bridge the board is plugged into"
                : "sending to the board is off; start the bridge with --allow-send"
        }
        if refusal == nil, let sender = clients.sender {
            do {
                try sender.send(request.line, ending: request.ending, from: "client \(record.id) (\(record.remoteAddress))")
            } catch {
                refusal = "\(error)"
            }
        } else if let refusal {
            log.notice("client \(record.id) may not send: \(refusal)")
        }
        answer(BatchMessages.sendResult(line: Self.echoed(request.line), refusal: refusal), context: context)
    }

    /// An answer to this client alone; kept for later when its socket is full (a few at most:
    /// one that sends and does not read makes the bridge queue no more).
    private func answer(_ message: [UInt8], context: ChannelHandlerContext) {
        guard context.channel.isWritable else {
            if pendingAnswers.count == Self.maxPendingAnswers { pendingAnswers.removeFirst() }
            pendingAnswers.append(message)
            return
        }
        writeMessage(message)
        context.flush()
    }

    /// The line quoted back in an answer: what a person would recognise, not all 16 KiB.
    private static func echoed(_ line: String) -> String { line.shortened(toUTF8Bytes: SendGate.maxLineBytes) }

    // MARK: - Sending

    /// Writes the log's chunks beyond the cursor, as far as the socket takes them and as
    /// `budget` (samples, shared by the clients of this loop's turn) allows, then flushes
    /// once. Returns whether it stopped with more to send and room to send it: then it
    /// wants another turn.
    func pump(budget: inout Int) -> Bool {
        guard let context, let frameLog, !closing else { return false }
        var wantsMore = false
        while context.channel.isWritable {
            guard budget > 0 else {
                wantsMore = nextEvent < stream.nextEvent
                break
            }
            let chunks = frameLog.read(from: nextChunk, maxSamples: min(budget, Self.samplesPerPass))
            guard !chunks.isEmpty else { break }
            var samples = 0
            for chunk in chunks {
                deliver(chunk)
                samples += Int(chunk.samples)
            }
            budget -= max(1, samples)
        }
        context.flush()
        publishCounts()
        stallWatch.observe(caughtUp: isCaughtUp(context), nowMicros: WallClock.nowMicros())
        return wantsMore
    }

    private func deliver(_ chunk: FrameLog.Chunk) {
        nextChunk = chunk.number + 1
        nextEvent = chunk.endEvent
        if chunk.isStateChange {
            // Older than the greeting, which already said the state.
            if chunk.firstEvent >= joinEvent { write(chunk.bytes, count: chunk.count) }
            return
        }
        noteGap(before: chunk.firstSample)
        if let before = chunk.layoutBefore, before !== announcedLayout,
           let names = format.channels(before.names, from: chunk.firstSample) {
            writeMessage(names)
        }
        write(chunk.bytes, count: chunk.count)
        announcedLayout = chunk.layoutAfter
        nextSample = chunk.endSample
        record.samplesSent.wrappingAdd(chunk.samples, ordering: .relaxed)
        record.cursor.store(nextSample, ordering: .relaxed)
    }

    /// The events before the first whole chunk of the log, encoded for this client alone.
    private func writeHead(events: Range<UInt64>) {
        let batch = stream.read(from: events.lowerBound, limit: events.count)
        StreamEvent.pieces(batch.elements, firstEvent: batch.first) { piece in
            switch piece {
            case .samples(let run, _, let firstSample):
                noteGap(before: firstSample)
                var bytes = ByteBuffer()
                let count = format.appendSamples(run, firstSample: firstSample, layout: &announcedLayout, to: &bytes)
                write(bytes, count: count)
                nextSample = firstSample + UInt64(run.count)
                record.samplesSent.wrappingAdd(UInt64(run.count), ordering: .relaxed)
            case .stateChange(let state, let detail, let event, _):
                if event >= joinEvent, let message = format.status(state, detail: detail) { writeMessage(message) }
            case .lost(let lines, _, let sequence):
                // Part of the history sent: the client draws the break where it was (after
                // any gap before it, so the numbers still add up in order).
                noteGap(before: sequence)
                if let message = format.lost(lines: lines, next: sequence) { writeMessage(message) }
            }
        }
        nextEvent = events.upperBound
        record.cursor.store(nextSample, ordering: .relaxed)
    }

    /// Samples between the one due and `sample` are gone: count them, and tell the client
    /// when its format can say so.
    private func noteGap(before sample: UInt64) {
        guard sample > nextSample else { return }
        let missed = sample - nextSample
        record.samplesSkipped.wrappingAdd(missed, ordering: .relaxed)
        if let gap = format.gap(missed: missed, resume: sample) { writeMessage(gap) }
        nextSample = sample
    }

    /// Called every second on the loop: closes the client if it has been behind for too long.
    func evictIfStalled(nowMicros: Int64) {
        guard let context, !closing else { return }
        // A writable client that is behind is only waiting for its next pump.
        stallWatch.observe(caughtUp: isCaughtUp(context), nowMicros: nowMicros)
        guard stallWatch.isOverdue(nowMicros: nowMicros) else { return }
        closing = true
        let seconds = Double(stallWatch.timeoutMicros) / 1_000_000
        let next = stream.sampleWindow.next
        let behind = next - min(nextSample, next)
        clients.countEviction()
        let why = behind > 0 ? "\(behind) samples behind" : "not reading what it is sent"
        log.notice("closed client \(record.id) (\(record.remoteAddress)): \(why) for more than \(seconds) s (--client-timeout)")
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

    /// Has everything, and its socket takes more: one whose socket stays full is stuck even
    /// when no sample comes (it pings or sends and never reads).
    private func isCaughtUp(_ context: ChannelHandlerContext) -> Bool {
        nextEvent >= stream.nextEvent && context.channel.isWritable
    }

    private func publishCounts() {
        record.framesSent.store(framesSent, ordering: .relaxed)
        record.bytesSent.store(bytesSent, ordering: .relaxed)
    }

    /// Writes complete frames past the framing handler; flushed at the end of the pump.
    private func write(_ frames: ByteBuffer, count: FrameCount) {
        guard frames.readableBytes > 0, let wire else { return }
        wire.write(NIOAny(frames), promise: nil)
        framesSent &+= UInt64(count.frames)
        bytesSent &+= UInt64(count.payloadBytes)
    }

    private func writeMessage(_ payload: [UInt8]) {
        write(format.framed(payload), count: FrameCount(message: payload))
    }

    // MARK: - Closing

    /// The server is shutting down: close code 1001 ("going away"), with a reason a page can
    /// show (the bridge was stopped, not lost).
    func closeGoingAway() {
        guard let context, !closing else { return }
        closing = true
        context.closeWebSocket(code: .goingAway, reason: "the bridge stopped")
    }
}
