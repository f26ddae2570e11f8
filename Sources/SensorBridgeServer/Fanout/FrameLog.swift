import DequeModule
import NIOCore
import SensorBridgeCore
import SensorBridgeStream
import Synchronization

/// One wire format's framed copy of the stream: the events cut into chunks, each encoded
/// and framed once, whatever the number of clients that receive it. The first reader that
/// catches up after new events (a loop's wake-up pass, a joining client) does the encoding
/// for everyone; clients then write the chunks' shared bytes
/// (a reference, not a copy) and never encode a sample themselves.
///
/// A chunk is a run of samples (at most `eventsPerChunk`) or one change of the source's
/// state, so a client can skip state changes older than itself (its greeting already said
/// the state) without cutting into shared bytes. Chunks are dropped once the stream no
/// longer holds their events: memory follows the stream's history, not the clients.
public final class FrameLog: Sendable {
    public struct Chunk: Sendable {
        /// This chunk's place in the log; clients keep the next one's as their cursor.
        public let number: UInt64
        public let firstEvent: UInt64
        public let endEvent: UInt64
        public let firstSample: UInt64
        public let endSample: UInt64
        /// Complete frames; empty for a state change the format does not carry.
        public let bytes: ByteBuffer
        public let count: FrameCount
        /// The channels announced before the chunk; a client that announced others
        /// (joining, or after a gap) announces these first.
        public let layoutBefore: ChannelLayout?
        /// The channels announced when the chunk ends.
        public let layoutAfter: ChannelLayout?
        public let isStateChange: Bool

        public var samples: UInt64 { endSample - firstSample }
    }

    private struct State {
        var chunks: Deque<Chunk> = []
        /// The number of `chunks.first`, or of the next chunk when none is held.
        var firstNumber: UInt64 = 0
        /// The stream event to encode next.
        var nextEvent: UInt64
        var layout: ChannelLayout?

        var nextNumber: UInt64 { firstNumber + UInt64(chunks.count) }
    }

    static let eventsPerChunk = 256

    let format: any WireFormat
    let stream: SensorStream
    private let state: Mutex<State>

    public init(format: any WireFormat, stream: SensorStream) {
        self.format = format
        self.stream = stream
        self.state = Mutex(State(nextEvent: stream.oldestEvent))
    }

    /// Where a client that starts at stream event `event` begins reading: the first chunk
    /// it reads whole, and the end of the events before it that the client needs encoded
    /// for itself alone (`event..<headEnd`, empty when `event` starts a chunk).
    func locate(event: UInt64) -> (chunk: UInt64, headEnd: UInt64) {
        state.withLock { state in
            catchUp(&state)
            var low = 0, high = state.chunks.count
            while low < high {
                let middle = (low + high) / 2
                if state.chunks[middle].endEvent > event { high = middle } else { low = middle + 1 }
            }
            guard low < state.chunks.count else { return (state.nextNumber, event) }
            let chunk = state.chunks[low]
            return chunk.firstEvent < event ? (chunk.number + 1, chunk.endEvent) : (chunk.number, event)
        }
    }

    /// Chunks from number `from` on, about `maxSamples` samples' worth (at least one chunk
    /// when there is one). A reader whose chunks were dropped gets the oldest held ones: the
    /// jump in sample numbers tells it what it missed.
    ///
    /// - Parameter catchingUp: whether the stream's newest events are encoded first (cut into
    ///   a chunk of their own). A loop's turns that go on serving after a wake-up's pass read
    ///   without it while the next wake-up is pending: else every turn, 0.2 ms apart, would
    ///   cut the few samples since the last into a chunk (a message of its own in the
    ///   batched stream, measured at 0.9 messages a sample at 2000 clients), where the
    ///   gathering meant one a wake-up. Those samples are that pending wake-up's.
    public func read(from: UInt64, maxSamples: Int, catchingUp: Bool = true) -> [Chunk] {
        state.withLock { state in
            if catchingUp, stream.nextEvent > state.nextEvent { catchUp(&state) }
            var index = Int(max(from, state.firstNumber) - state.firstNumber)
            var chunks: [Chunk] = []
            var samples = 0
            while index < state.chunks.count, samples < maxSamples || chunks.isEmpty {
                let chunk = state.chunks[index]
                chunks.append(chunk)
                samples += Int(chunk.samples)
                index += 1
            }
            return chunks
        }
    }

    /// The number the next chunk will get.
    public var nextChunk: UInt64 { state.withLock { $0.nextNumber } }

    /// Encodes what the stream has beyond the log, and drops chunks whose events the stream
    /// no longer holds.
    private func catchUp(_ state: inout State) {
        while true {
            let batch = stream.read(from: state.nextEvent, limit: 4096)
            state.nextEvent = batch.next
            guard !batch.elements.isEmpty else { break }
            /// A chunk of one message (or none, when the format does not carry it) between samples.
            func appendMessage(_ payload: [UInt8]?, event: UInt64, sample: UInt64, isStateChange: Bool) {
                let number = state.nextNumber
                state.chunks.append(Chunk(
                    number: number, firstEvent: event, endEvent: event + 1, firstSample: sample,
                    endSample: sample, bytes: payload.map(format.framed) ?? ByteBuffer(),
                    count: payload.map { FrameCount(message: $0) } ?? FrameCount(),
                    layoutBefore: state.layout, layoutAfter: state.layout, isStateChange: isStateChange))
            }
            StreamEvent.pieces(batch.elements, firstEvent: batch.first, maxRun: Self.eventsPerChunk) { piece in
                switch piece {
                case .samples(let run, let firstEvent, let firstSample):
                    // The first channels go out in each client's greeting (or, for a client
                    // that came before them, ahead of the chunk), never in shared bytes.
                    if state.layout == nil { state.layout = run[0].layout }
                    let before = state.layout
                    var bytes = ByteBuffer()
                    let count = format.appendSamples(run, firstSample: firstSample, layout: &state.layout, to: &bytes)
                    let number = state.nextNumber
                    state.chunks.append(Chunk(
                        number: number, firstEvent: firstEvent, endEvent: firstEvent + UInt64(run.count),
                        firstSample: firstSample, endSample: firstSample + UInt64(run.count), bytes: bytes, count: count,
                        layoutBefore: before, layoutAfter: state.layout, isStateChange: false))
                case .stateChange(let sourceState, let detail, let event, let sequence):
                    // Older ones are not repeated to a newcomer: its greeting says the state.
                    appendMessage(format.status(sourceState, detail: detail), event: event, sample: sequence, isStateChange: true)
                case .lost(let lines, let event, let sequence):
                    // Part of the history: a newcomer draws the break too.
                    appendMessage(format.lost(lines: lines, next: sequence), event: event, sample: sequence, isStateChange: false)
                }
            }
        }
        let oldest = stream.oldestEvent
        while let first = state.chunks.first, first.endEvent <= oldest {
            state.chunks.removeFirst()
            state.firstNumber += 1
        }
    }
}
