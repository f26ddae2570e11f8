import Foundation
import NIOCore
import SensorBridgeCore
import Synchronization

/// The meeting point of the data path: the source thread publishes samples here; they are
/// encoded once, stored in the ring, and every event loop with clients is woken. Clients
/// read the ring at their own pace; none of them can slow the source down.
public final class SampleHub: Sendable {
    public let statistics: StreamStatistics
    /// How far back a client that joins late starts.
    public let historyMicros: Int64
    let ring: SampleRing<StreamEntry>
    /// One per event loop that has had a client; few (one per core), so a list is searched.
    private let fanouts = Mutex<[LoopFanout]>([])
    private let source: Mutex<SourceStatus>
    private let clients = Mutex<[UInt64: ClientRecord]>([:])
    private let nextClientID = Atomic<UInt64>(1)
    private let evictions = Atomic<UInt64>(0)
    private let reconnects = Atomic<UInt64>(0)
    private let hasConnected = Atomic<Bool>(false)
    /// What clients that have left were sent, so totals do not drop when they go.
    private let departed = Mutex(StatusReport.Delivery())
    private let startedMicros = WallClock.nowMicros()
    /// Names this run of the stream: sequence numbers start again at 0 when the bridge
    /// restarts, so a reconnecting client compares this before resuming by sequence number.
    public let streamID: String = {
        var generator = SystemRandomNumberGenerator()
        return String(generator.next(), radix: 36)
    }()

    /// - Parameters:
    ///   - capacity: samples kept in memory (bounds memory; must cover `historySeconds` at the device's rate).
    ///   - historySeconds: what a late joiner receives first.
    public init(
        source: SourceStatus, statistics: StreamStatistics, capacity: Int = 16_384,
        historySeconds: Double = 5
    ) {
        self.source = Mutex(source)
        self.statistics = statistics
        self.ring = SampleRing(capacity: capacity)
        self.historyMicros = Int64(historySeconds * 1_000_000)
    }

    // MARK: - Source side (any thread)

    /// Stores one sample and wakes the clients. Never blocks on a client.
    public func publish(_ sample: Sample) {
        let json = ByteBuffer(bytes: SampleJSON.encode(sample))
        ring.append(StreamEntry(sample: sample, json: json))
        for fanout in fanouts.withLock({ $0 }) { fanout.wake() }
    }

    /// Records the source's new state and tells the clients of the batched stream.
    public func updateSource(state: SourceStatus.State, detail: String) {
        let previous = source.withLock { source -> SourceStatus.State in
            defer {
                source.state = state
                source.detail = detail
            }
            return source.state
        }
        if state == .connected, previous != .connected, hasConnected.exchange(true, ordering: .relaxed) {
            reconnects.add(1, ordering: .relaxed)
        }
        let message = ByteBuffer(bytes: BatchMessages.status(state: state.rawValue, detail: detail))
        for fanout in fanouts.withLock({ $0 }) {
            _ = fanout.forEachClient { $0.sendStatus(message) }
        }
    }

    public var sourceStatus: SourceStatus { source.withLock { $0 } }
    /// The channels of the newest sample (nil before the first).
    public var channelLayout: ChannelLayout? {
        let next = ring.nextSequence
        guard next > 0 else { return nil }
        return ring.read(from: next - 1, limit: 1).elements.first?.sample.layout
    }

    // MARK: - Client side (on the client's event loop)

    func fanout(for eventLoop: EventLoop) -> LoopFanout {
        fanouts.withLock { fanouts in
            if let existing = fanouts.first(where: { $0.eventLoop === eventLoop }) { return existing }
            let created = LoopFanout(eventLoop: eventLoop)
            fanouts.append(created)
            return created
        }
    }

    func makeClientID() -> UInt64 { nextClientID.wrappingAdd(1, ordering: .relaxed).oldValue }

    func countEviction() { evictions.add(1, ordering: .relaxed) }

    func register(_ record: ClientRecord) { clients.withLock { $0[record.id] = record } }
    /// Moves the client's counters to the departed totals in the same step (under the
    /// clients lock, as `statusReport` reads them), so no total ever dips.
    func unregister(_ record: ClientRecord) {
        let oldest = ring.oldestSequence, next = ring.nextSequence
        clients.withLock { clients in
            guard clients.removeValue(forKey: record.id) != nil else { return }
            let final = record.report(oldest: oldest, next: next)
            departed.withLock {
                $0.samplesSent += final.samplesSent
                $0.samplesSkipped += final.samplesSkipped
                $0.framesSent += final.framesSent
                $0.bytesSent += final.bytesSent
            }
        }
    }

    /// Where a new client starts: right after the last sample it has when it resumes this
    /// stream (possibly before the oldest kept, which the client's first read reports as a
    /// gap); otherwise the history it asked for (default `historyMicros`) before now, or
    /// the oldest sample kept.
    func startSequence(for request: StreamRequest, nowMicros: Int64 = WallClock.nowMicros()) -> UInt64 {
        if request.resumeStream == streamID, let after = request.resumeAfter, after < ring.nextSequence {
            return after + 1
        }
        let history = request.historySeconds.map { Int64($0 * 1_000_000) } ?? historyMicros
        let since = nowMicros - history
        return ring.firstSequence { $0.sample.timeMicros >= since }
    }

    /// Tells every client the server is going away (close code 1001) and waits until sent.
    public func closeAllClients() -> [EventLoopFuture<Void>] {
        fanouts.withLock { $0 }.map { fanout in
            fanout.forEachClient { $0.closeGoingAway() }
        }
    }

    // MARK: - Status

    public func statusReport(nowMicros: Int64 = WallClock.nowMicros()) -> StatusReport {
        let counts = statistics.snapshot
        let source = sourceStatus
        let windowMicros: Int64 = 2_000_000
        let recent = ring.nextSequence - ring.firstSequence { $0.sample.timeMicros >= nowMicros - windowMicros }
        let oldest = ring.oldestSequence, next = ring.nextSequence
        let (clientReports, departedSoFar) = clients.withLock { clients in
            // Under the clients lock, so a client leaving now is counted once, live or departed.
            (clients.values.map { $0.report(oldest: oldest, next: next) }.sorted { $0.id < $1.id },
             departed.withLock { $0 })
        }
        var delivery = departedSoFar
        for client in clientReports {
            delivery.samplesSent += client.samplesSent
            delivery.samplesSkipped += client.samplesSkipped
            delivery.framesSent += client.framesSent
            delivery.bytesSent += client.bytesSent
        }
        return StatusReport(
            source: source,
            baud: source.baud,
            channels: channelLayout?.names ?? [],
            samples: counts.samples,
            rate: Double(recent) * 1_000_000 / Double(windowMicros),
            parseErrors: counts.parseErrorTotal,
            parseErrorsByKind: Dictionary(uniqueKeysWithValues: counts.parseErrors.map { ($0.key.rawValue, $0.value) }),
            lastRejectedLine: counts.lastErrorLine,
            lines: counts.lines,
            bytes: counts.bytes,
            historySeconds: Double(historyMicros) / 1_000_000,
            bufferCapacity: ring.capacity,
            uptimeSeconds: Double(nowMicros - startedMicros) / 1_000_000,
            clients: clientReports,
            clientsEvicted: evictions.load(ordering: .relaxed),
            reconnects: reconnects.load(ordering: .relaxed),
            delivery: delivery
        )
    }
}
