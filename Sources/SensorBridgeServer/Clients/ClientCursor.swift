import SensorBridgeCore
import SensorBridgeStream

/// What the cursor reads of a chunk of a `FrameLog`: its place, never its bytes.
protocol CursorChunk {
    var number: UInt64 { get }
    var firstEvent: UInt64 { get }
    var endEvent: UInt64 { get }
    var firstSample: UInt64 { get }
    var endSample: UInt64 { get }
    var layoutBefore: ChannelLayout? { get }
    var layoutAfter: ChannelLayout? { get }
    var isStateChange: Bool { get }
}

/// Where one graph client is in the stream, and what it is owed before each piece it is
/// sent: a notice of the samples it missed, the channels it was not told, and whether a
/// state change is news to it (its greeting already said the state at its join). Pure (no
/// NIO, no I/O), so the rules are tested alone; `GraphClientHandler` writes what it says,
/// for the shared chunks (`deliver`) and for the history before them (`head`) alike.
struct ClientCursor: Equatable {
    /// Samples a client fell past: `missed` of them, the stream going on at `resume`.
    struct Gap: Equatable {
        var missed: UInt64
        var resume: UInt64
    }

    /// What to write for one piece of the stream, in this order.
    struct Step: Equatable {
        /// Samples missed before the piece: counted, and told when the format can say so.
        var gap: Gap?
        /// Channels to announce before a shared chunk (which was framed for clients that
        /// knew them). In the head the format announces them itself as it encodes.
        var channels: ChannelLayout?
        /// False for a state change older than the greeting: the client already knows it.
        var writes: Bool
    }

    /// State changes before this event are older than the greeting, which told the state.
    let joinEvent: UInt64
    /// The next chunk of the log to write.
    private(set) var nextChunk: UInt64
    /// The stream event after the last one delivered.
    private(set) var nextEvent: UInt64
    /// The sample number due next; a piece that starts later means samples were missed.
    private(set) var nextSample: UInt64
    /// The channels the client was last told: its greeting's, then each chunk's. A format
    /// that names channels updates it while it encodes the head (`WireFormat.appendSamples`).
    var announcedLayout: ChannelLayout?

    init(joinEvent: UInt64 = 0, event: UInt64 = 0, sample: UInt64 = 0, chunk: UInt64 = 0, layout: ChannelLayout? = nil) {
        self.joinEvent = joinEvent
        self.nextEvent = event
        self.nextSample = sample
        self.nextChunk = chunk
        self.announcedLayout = layout
    }

    /// One whole chunk of the shared log; the cursor moves past it.
    mutating func deliver(_ chunk: some CursorChunk) -> Step {
        nextChunk = chunk.number + 1
        nextEvent = chunk.endEvent
        if chunk.isStateChange {
            return Step(gap: nil, channels: nil, writes: chunk.firstEvent >= joinEvent)
        }
        let gap = skip(to: chunk.firstSample)
        var channels: ChannelLayout?
        if let before = chunk.layoutBefore, before !== announcedLayout { channels = before }
        announcedLayout = chunk.layoutAfter
        nextSample = chunk.endSample
        return Step(gap: gap, channels: channels, writes: true)
    }

    /// The chunks in a row, if each is owed exactly its shared bytes (no gap before it, no
    /// channels to announce, no state change older than the greeting): then the cursor moves
    /// past them all and the bytes can go out as one write. Otherwise nothing moves.
    mutating func deliverPlain(_ chunks: [some CursorChunk]) -> Bool {
        var probe = self
        for chunk in chunks {
            let step = probe.deliver(chunk)
            guard step.gap == nil, step.channels == nil, step.writes else { return false }
        }
        self = probe
        return true
    }

    /// One piece of the history before the first whole chunk, encoded for this client
    /// alone. A lost-lines notice is part of that history: the client draws the break where
    /// it was (after any gap before it, so the numbers still add up in order).
    mutating func head(_ piece: StreamPiece) -> Step {
        switch piece {
        case .samples(let run, _, let firstSample):
            let gap = skip(to: firstSample)
            nextSample = firstSample + UInt64(run.count)
            return Step(gap: gap, channels: nil, writes: true)
        case .stateChange(_, _, let event, _):
            return Step(gap: nil, channels: nil, writes: event >= joinEvent)
        case .lost(_, _, let sequence):
            return Step(gap: skip(to: sequence), channels: nil, writes: true)
        }
    }

    /// The head was written up to (not including) stream event `end`.
    mutating func finishHead(at end: UInt64) { nextEvent = end }

    /// Whether every event the stream has (up to `streamNextEvent`) was delivered.
    func hasAll(streamNextEvent: UInt64) -> Bool { nextEvent >= streamNextEvent }

    /// Samples from the one due to the stream's next (`next`).
    func samplesBehind(next: UInt64) -> UInt64 { next - min(nextSample, next) }

    /// The samples between the one due and `sample` are gone.
    private mutating func skip(to sample: UInt64) -> Gap? {
        guard sample > nextSample else { return nil }
        defer { nextSample = sample }
        return Gap(missed: sample - nextSample, resume: sample)
    }
}
