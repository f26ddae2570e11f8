import NIOCore
import SensorBridgeCore
import SensorBridgeStream

/// Writes one client's share of the stream as its `ClientCursor` says: the shared chunks as
/// they are, and what is made for it alone (its greeting, the history before the first
/// whole chunk, gap notices, channels it was not told), counting its samples in its record.
/// Flushing is the caller's.
struct ClientDelivery {
    private(set) var cursor = ClientCursor()
    private(set) var wire: ClientWire
    /// Its format's shared chunks; nil until `begin`.
    private var frameLog: FrameLog?
    let record: ClientRecord

    init(record: ClientRecord, format: any WireFormat) {
        self.record = record
        self.wire = ClientWire(format: format)
    }

    var format: any WireFormat { wire.format }

    mutating func attach(to pipeline: ChannelPipeline.SynchronousOperations) { wire.attach(to: pipeline) }
    mutating func detach() { wire.detach() }
    mutating func write(message payload: [UInt8]) { wire.write(message: payload) }
    func publishCounts() { wire.publish(to: record) }

    /// The greeting (which stream, from which sample, its state now), then the events before
    /// `frameLog`'s first chunk that this client reads whole. State changes from `joinEvent`
    /// on are news to it.
    mutating func begin(stream: SensorStream, start: SensorStream.Start, joinEvent: UInt64, frameLog: FrameLog) {
        self.frameLog = frameLog
        let source = stream.sourceStatus
        let layout = stream.channelLayout
        let window = stream.sampleWindow
        let first = max(start.sample, window.oldest)
        let greeting = StreamGreeting(
            source: source.name, stream: stream.streamID, channels: layout?.names ?? [], first: first,
            historySamples: window.next - min(first, window.next), state: source.state, detail: source.detail)
        if let hello = format.hello(greeting) { wire.write(message: hello) }
        let located = frameLog.locate(event: start.event)
        cursor = ClientCursor(joinEvent: joinEvent, event: start.event, sample: start.sample, chunk: located.chunk, layout: layout)
        guard located.headEnd > start.event else { return }
        writeHead(stream.read(from: start.event, limit: Int(located.headEnd - start.event)), end: located.headEnd)
    }

    /// Writes the log's chunks beyond the cursor, `samplesPerPass` at a time, while the
    /// socket takes more (`isWritable`) and `budget` (samples, shared by the clients of a
    /// loop's turn) allows. Returns whether it stopped for the budget with more to send.
    /// `reads` shares the log's chunks, joined, among the clients of a turn at the same place.
    mutating func deliver(budget: inout Int, samplesPerPass: Int, stream: SensorStream, reads: TurnReads,
                          isWritable: () -> Bool) -> Bool {
        guard let frameLog else { return false }
        while isWritable() {
            guard budget > 0 else { return !cursor.hasAll(streamNextEvent: stream.nextEvent) }
            // A whole pass whatever the budget left (a turn may go over it by one pass), so
            // every client at this place shares one read.
            let read = reads.read(frameLog, from: cursor.nextChunk, maxSamples: samplesPerPass)
            guard !read.chunks.isEmpty else { break }
            if read.chunks.count > 1, cursor.deliverPlain(read.chunks) {
                // Owed exactly the shared bytes: one write for them all.
                wire.write(read.joined, count: read.count)
                countSent(samples: UInt64(read.samples))
            } else {
                for chunk in read.chunks { deliver(chunk) }
            }
            budget -= max(1, read.samples)
        }
        return false
    }

    /// One whole chunk of the shared log.
    private mutating func deliver(_ chunk: FrameLog.Chunk) {
        let step = cursor.deliver(chunk)
        writeGap(step.gap)
        if let layout = step.channels, let names = format.channels(layout.names, from: chunk.firstSample) {
            wire.write(message: names)
        }
        guard step.writes else { return }
        wire.write(chunk.bytes, count: chunk.count)
        guard !chunk.isStateChange else { return }
        countSent(samples: chunk.samples)
    }

    /// Shared samples written: counted, and the cursor published, for `/api/status`.
    private func countSent(samples: UInt64) {
        record.samplesSent.wrappingAdd(samples, ordering: .relaxed)
        record.cursor.store(cursor.nextSample, ordering: .relaxed)
    }

    /// The events of `batch`, up to `end`, encoded for this client alone.
    private mutating func writeHead(_ batch: HistoryRing<StreamEvent>.Batch, end: UInt64) {
        StreamEvent.pieces(batch.elements, firstEvent: batch.first) { piece in
            let step = cursor.head(piece)
            writeGap(step.gap)
            guard step.writes else { return }
            switch piece {
            case .samples(let run, _, let firstSample):
                var bytes = ByteBuffer()
                let count = format.appendSamples(run, firstSample: firstSample, layout: &cursor.announcedLayout, to: &bytes)
                wire.write(bytes, count: count)
                record.samplesSent.wrappingAdd(UInt64(run.count), ordering: .relaxed)
            case .stateChange(let state, let detail, _, _):
                if let message = format.status(state, detail: detail) { wire.write(message: message) }
            case .lost(let lines, _, let sequence):
                if let message = format.lost(lines: lines, next: sequence) { wire.write(message: message) }
            }
        }
        cursor.finishHead(at: end)
        record.cursor.store(cursor.nextSample, ordering: .relaxed)
    }

    /// Samples the client missed: counted, and told when its format can say so.
    private mutating func writeGap(_ gap: ClientCursor.Gap?) {
        guard let gap else { return }
        record.samplesSkipped.wrappingAdd(gap.missed, ordering: .relaxed)
        if let message = format.gap(missed: gap.missed, resume: gap.resume) { wire.write(message: message) }
    }
}

/// The log's chunks are what the cursor moves through.
extension FrameLog.Chunk: CursorChunk {}
