import SensorBridgeCore
import Synchronization

/// The heart of the data path: one history of stream events (samples and source-state
/// changes, in the order they happened), written by the source's thread and read by any
/// number of subscribers, each at its own cursor. The writer never waits for a reader; a
/// reader that falls behind by more than the history holds skips ahead and is told how far.
///
/// It owns what describes the stream as a whole: the counters of what came in, the
/// source's state, the channel names, and the stream's identity. Nothing here knows about
/// sockets: the WebSocket server is one subscriber, a file or broker sink would be another.
public final class SensorStream: Sendable {
    /// Counters of the ingest path (bytes, lines, samples, parse errors).
    public let statistics = StreamStatistics()
    /// How far back a subscriber that asks for "recent history" starts.
    public let historyMicros: Int64
    /// Names this run of the stream: sample numbers start again at 0 when the bridge
    /// restarts, so a reconnecting client compares this before resuming by number.
    public let streamID: String = {
        var generator = SystemRandomNumberGenerator()
        return String(generator.next(), radix: 36)
    }()
    public let startedMicros = WallClock.nowMicros()

    private let ring: HistoryRing<StreamEvent>
    private struct WriterState {
        var samples: UInt64 = 0
        var source: SourceStatus
        var layout: ChannelLayout?
        var hasConnected = false
        var reconnects: UInt64 = 0
        var linesLost: UInt64 = 0
    }
    /// Taken by writers around numbering and appending, so numbers and order agree.
    private let writer: Mutex<WriterState>
    /// Few (one per sink), so a list: a sample copies it (a reference) under a short lock.
    private let subscribers = Mutex<[(id: UInt64, wake: @Sendable () -> Void)]>([])
    private let nextSubscriberID = Atomic<UInt64>(1)

    /// - Parameters:
    ///   - capacity: events kept in memory (bounds memory; must cover `historySeconds` at the device's rate).
    ///   - maxBytes: the most the held events may cost (`StreamEvent.estimatedBytes`): wide
    ///     samples (a peer's 64 channels) make the history shorter rather than memory larger.
    ///   - historySeconds: what a late joiner receives first, unless it asks for another span.
    public init(source: SourceStatus, capacity: Int = 16_384, maxBytes: Int = SensorStream.defaultMaxBytes,
                historySeconds: Double = 5) {
        self.ring = HistoryRing(capacity: capacity, maxBytes: maxBytes, cost: { $0.estimatedBytes })
        self.writer = Mutex(WriterState(source: source))
        self.historyMicros = Int64(saturating: historySeconds * 1_000_000)
    }

    public var capacity: Int { ring.capacity }
    /// The most the history may cost, and what it costs now.
    public var maxBytes: Int { ring.maxBytes }
    public var heldBytes: Int { ring.heldBytes }
    public static let defaultMaxBytes = 64 << 20

    // MARK: - Writing (the source's thread)

    /// Appends a sample and wakes the subscribers. Never blocks on a reader.
    public func publish(_ sample: Sample) {
        publish(contentsOf: CollectionOfOne(sample))
    }

    /// Appends what one read of the source gave, then wakes the subscribers once: a
    /// subscriber woken per sample could serve the first alone and the rest a moment later
    /// (two writes a client for one read), and each wake-up costs a thread's time.
    public func publish(contentsOf samples: some Collection<Sample>) {
        guard !samples.isEmpty else { return }
        writer.withLock { state in
            ring.append { add in
                for sample in samples {
                    if sample.linesLostBefore > 0 {
                        add(StreamEvent(kind: .lost(lines: sample.linesLostBefore), timeMicros: sample.timeMicros, sampleSequence: state.samples))
                        state.linesLost = state.linesLost.addingSaturating(sample.linesLostBefore)
                    }
                    add(StreamEvent(kind: .sample(sample), timeMicros: sample.timeMicros, sampleSequence: state.samples))
                    state.samples += 1
                    if state.layout !== sample.layout { state.layout = sample.layout }
                }
            }
        }
        wakeSubscribers()
    }

    /// Records the source's new state and appends it to the stream, after every sample
    /// published before it.
    public func updateSource(state: SourceStatus.State, detail: String, nowMicros: Int64 = WallClock.nowMicros()) {
        writer.withLock { writer in
            if state == .connected, writer.source.state != .connected {
                if writer.hasConnected { writer.reconnects += 1 }
                writer.hasConnected = true
            }
            writer.source.state = state
            writer.source.detail = detail
            ring.append(StreamEvent(kind: .source(state, detail: detail), timeMicros: nowMicros, sampleSequence: writer.samples))
        }
        wakeSubscribers()
    }

    /// The baud rate the source reads at, when it is only learnt later: a relay hears it
    /// from the edge bridge's status, so its `/api/status` says what the edge's would.
    public func updateSourceBaud(_ baud: Int?) {
        writer.withLock { $0.source.baud = baud }
    }

    private func wakeSubscribers() {
        for subscriber in subscribers.withLock({ $0 }) { subscriber.wake() }
    }

    // MARK: - Subscribing

    /// Registers `wake`, called on the writer's thread after each publish (a read's samples
    /// together) and each change of state: it must only
    /// signal (schedule a task, write to a pipe), never read the stream or block. Keep the
    /// subscription; the wake-ups stop when it is cancelled or freed.
    public func subscribe(wake: @escaping @Sendable () -> Void) -> StreamSubscription {
        let id = nextSubscriberID.wrappingAdd(1, ordering: .relaxed).oldValue
        subscribers.withLock { $0.append((id, wake)) }
        return StreamSubscription(stream: self, id: id)
    }

    func unsubscribe(_ id: UInt64) {
        subscribers.withLock { $0.removeAll { $0.id == id } }
    }

    // MARK: - Reading (any thread)

    /// Up to `limit` events from event number `cursor` on (see `HistoryRing.read`).
    public func read(from cursor: UInt64, limit: Int = .max) -> HistoryRing<StreamEvent>.Batch {
        ring.read(from: cursor, limit: limit)
    }

    /// The number the next event will get (= events ever appended).
    public var nextEvent: UInt64 { ring.nextSequence }
    /// The oldest event number still held.
    public var oldestEvent: UInt64 { ring.oldestSequence }

    /// Sample numbers: the oldest still held and the next to come. Read together, under
    /// the writer's lock, so they describe one moment.
    public var sampleWindow: (oldest: UInt64, next: UInt64) {
        writer.withLock { state in
            let oldest = ring.read(from: ring.oldestSequence, limit: 1).elements.first?.sampleSequence ?? state.samples
            return (oldest, state.samples)
        }
    }

    public var sourceStatus: SourceStatus { writer.withLock { $0.source } }
    /// The channels of the newest sample (nil before the first).
    public var channelLayout: ChannelLayout? { writer.withLock { $0.layout } }
    /// Times the source came back after it had been connected.
    public var reconnects: UInt64 { writer.withLock { $0.reconnects } }
    /// Lines the sketch's line counter says were lost on the wire.
    public var linesLost: UInt64 { writer.withLock { $0.linesLost } }

    /// Where a subscriber starts reading, and the sample number it expects first.
    public struct Start: Sendable, Equatable {
        public var event: UInt64
        public var sample: UInt64
    }

    /// Where a subscriber starts: right after sample `resumeAfter` when it resumes this
    /// stream (`resumeStream` is `streamID`; that may be before the oldest sample held, and
    /// the subscriber then reports the missed ones); otherwise `historyMicros` (or the
    /// stream's default) before `nowMicros`, bounded by what is held.
    public func start(historyMicros requested: Int64? = nil, resumeStream: String? = nil,
                      resumeAfter: UInt64? = nil, nowMicros: Int64 = WallClock.nowMicros()) -> Start {
        let samples = writer.withLock { $0.samples }
        if resumeStream == streamID, let after = resumeAfter, after < samples {
            return Start(event: ring.firstSequence { $0.sampleSequence > after }, sample: after + 1)
        }
        let since = nowMicros.subtractingSaturating(max(0, requested ?? historyMicros))
        var event = ring.firstSequence { $0.timeMicros >= since }
        // A full ring loses its oldest events as new ones come, before a new subscriber has
        // read them: a start at that edge would promise history that is gone by the time it
        // is sent (a page would show a gap at once). Start a little inside instead.
        // (A 32nd of what is held, not of the capacity: a ring bounded by bytes holds fewer.)
        let fullness = ring.fullness
        let headroom = Self.startHeadroom(held: fullness.held)
        let oldest = ring.oldestSequence
        if fullness.isFull, event < oldest.addingSaturating(headroom) {
            event = min(oldest.addingSaturating(headroom), ring.nextSequence)
        }
        let sample = ring.read(from: event, limit: 1).elements.first?.sampleSequence ?? samples
        return Start(event: event, sample: sample)
    }

    /// How far inside a full ring a history start keeps from its oldest event: a 32nd of what
    /// it holds (2 s of the default 65 536 at 1 kHz), time for a subscriber's first read.
    static func startHeadroom(held: UInt64) -> UInt64 { max(1, held / 32) }

    /// Samples that arrived at or after `sinceMicros` and are still held.
    public func samples(sinceMicros: Int64) -> UInt64 {
        let first = ring.firstSequence { $0.timeMicros >= sinceMicros }
        guard let event = ring.read(from: first, limit: 1).elements.first else { return 0 }
        let samples = writer.withLock { $0.samples }
        return samples - min(event.sampleSequence, samples)
    }
}

/// A registered wake-up; cancelled when freed.
public final class StreamSubscription: Sendable {
    private let stream: SensorStream
    private let id: UInt64
    private let active = Atomic<Bool>(true)

    init(stream: SensorStream, id: UInt64) {
        self.stream = stream
        self.id = id
    }

    public func cancel() {
        if active.exchange(false, ordering: .relaxed) { stream.unsubscribe(id) }
    }

    deinit { cancel() }
}
