import NIOCore
import SensorBridgeCore
import SensorBridgeStream
import Synchronization

/// The server's side of the stream: it subscribes once and wakes the event loops that
/// have graph clients, keeps one `FrameLog` per wire format in use (so each event is framed
/// once per format), and knows who is connected, for `/api/status` and `/metrics`.
public final class GraphClients: Sendable {
    public let stream: SensorStream
    /// One per event loop that has had a client; few (one per core), so a list is searched.
    private let fanouts = Mutex<[LoopFanout]>([])
    private let frameLogs = Mutex<[FormatKey: FrameLog]>([:])
    private let subscription = Mutex<StreamSubscription?>(nil)
    private let records = Mutex<[UInt64: ClientRecord]>([:])
    private let nextClientID = Atomic<UInt64>(1)
    private let evictions = Atomic<UInt64>(0)
    /// What clients that have left were sent, so totals do not drop when they go.
    private let departed = Mutex(StatusReport.Delivery())

    private struct FormatKey: Hashable {
        var stream: SubprotocolChoice.Stream
        var framing: Framing
    }

    /// Writes clients' lines to the board; nil unless sending is on (`--allow-send`).
    public let sender: LineSender?
    /// The last lines as text (`/api/lines`); nil when nobody keeps them.
    public let monitor: LineMonitor?

    /// Links to MQTT brokers, shown in `/api/status` and `/metrics`.
    public let brokerLinks: [BrokerLinkCounters]
    /// The history store behind `/api/sessions`, `/api/history`, `/api/export`; nil with `--no-store`.
    public let history: (any HistoryService)?

    /// The port handed over for uploads (`/api/sources/NAME/release`); nil when the source has none.
    public let release: (any PortRelease)?
    /// What `/api/sources` calls the source.
    public let sourceName: String

    /// How long a loop gathers samples before writing them to its clients: a browser draws a
    /// frame every 16 ms, so 8 ms costs a viewer nothing it would see, and at 1000 samples/s
    /// makes one write a client for eight samples.
    public static let defaultGatherDelay = TimeAmount.milliseconds(8)
    /// This source's (`--gather`): more trades latency for fewer writes a sample.
    let gatherDelay: TimeAmount

    public init(stream: SensorStream, sender: LineSender? = nil, monitor: LineMonitor? = nil, brokerLinks: [BrokerLinkCounters] = [],
                history: (any HistoryService)? = nil, release: (any PortRelease)? = nil, sourceName: String? = nil,
                gatherDelay: TimeAmount = GraphClients.defaultGatherDelay) {
        self.gatherDelay = gatherDelay
        self.history = history
        self.release = release
        let source = stream.sourceStatus
        self.sourceName = sourceName ?? SourceName.derived(kind: source.kind, location: source.name)
        self.stream = stream
        self.sender = sender
        self.monitor = monitor
        self.brokerLinks = brokerLinks
        let wake = stream.subscribe { [weak self] in
            guard let self else { return }
            for fanout in fanouts.withLock({ $0 }) { fanout.wake() }
        }
        subscription.withLock { $0 = wake }
    }

    // MARK: - Clients (on their event loops)

    func fanout(for eventLoop: EventLoop) -> LoopFanout {
        fanouts.withLock { fanouts in
            if let existing = fanouts.first(where: { $0.eventLoop === eventLoop }) { return existing }
            let created = LoopFanout(eventLoop: eventLoop, gatherDelay: gatherDelay)
            fanouts.append(created)
            return created
        }
    }

    func frameLog(_ stream: SubprotocolChoice.Stream, framing: Framing) -> FrameLog {
        frameLogs.withLock { logs in
            let key = FormatKey(stream: stream, framing: framing)
            if let log = logs[key] { return log }
            let log = FrameLog(format: stream.wireFormat(framing: framing), stream: self.stream)
            logs[key] = log
            return log
        }
    }

    func makeClientID() -> UInt64 { nextClientID.wrappingAdd(1, ordering: .relaxed).oldValue }

    func countEviction() { evictions.add(1, ordering: .relaxed) }

    func register(_ record: ClientRecord) { records.withLock { $0[record.id] = record } }

    /// Moves the client's counters to the departed totals in the same step (under the
    /// records lock, as `statusReport` reads them), so no total ever dips.
    func unregister(_ record: ClientRecord) {
        let window = stream.sampleWindow
        records.withLock { records in
            guard records.removeValue(forKey: record.id) != nil else { return }
            let final = record.report(oldest: window.oldest, next: window.next)
            departed.withLock { $0.add(final) }
        }
    }

    /// Where a new client starts, from what it asked for in its URL.
    func start(for request: StreamRequest) -> SensorStream.Start {
        stream.start(historyMicros: request.historySeconds.map { Int64(saturating: $0 * 1_000_000) },
                     resumeStream: request.resumeStream, resumeAfter: request.resumeAfter)
    }

    /// Tells every client the server is going away (close code 1001) and waits until sent.
    public func closeAll() -> [EventLoopFuture<Void>] {
        fanouts.withLock { $0 }.map { fanout in
            fanout.forEachClient { $0.closeGoingAway() }
        }
    }

    // MARK: - Status

    public func statusReport(nowMicros: Int64 = WallClock.nowMicros()) -> StatusReport {
        let counts = stream.statistics.snapshot
        let source = stream.sourceStatus
        let windowMicros: Int64 = 2_000_000
        let recent = stream.samples(sinceMicros: nowMicros - windowMicros)
        let window = stream.sampleWindow
        let (clientReports, departedSoFar) = records.withLock { records in
            // Under the records lock, so a client leaving now is counted once, live or departed.
            (records.values.map { $0.report(oldest: window.oldest, next: window.next) }.sorted { $0.id < $1.id },
             departed.withLock { $0 })
        }
        var delivery = departedSoFar
        for client in clientReports { delivery.add(client) }
        return StatusReport(
            source: source,
            baud: source.baud,
            channels: stream.channelLayout?.names ?? [],
            samples: counts.samples,
            rate: Double(recent) * 1_000_000 / Double(windowMicros),
            parseErrors: counts.parseErrorTotal,
            parseErrorsByKind: Dictionary(uniqueKeysWithValues: counts.parseErrors.map { ($0.key.rawValue, $0.value) }),
            lastRejectedLine: counts.lastErrorLine,
            lines: counts.lines,
            bytes: counts.bytes,
            historySeconds: Double(stream.historyMicros) / 1_000_000,
            bufferCapacity: stream.capacity,
            bufferMaxBytes: stream.maxBytes,
            bufferBytes: stream.heldBytes,
            uptimeSeconds: Double(nowMicros - stream.startedMicros) / 1_000_000,
            clients: clientReports,
            clientsEvicted: evictions.load(ordering: .relaxed),
            reconnects: stream.reconnects,
            linesLost: stream.linesLost,
            delivery: delivery,
            mqtt: brokerLinks.map(\.snapshot),
            store: history?.writerReport ?? history.map { StoreReport(state: "archive", detail: "", file: $0.storePath, samplesStored: 0, samplesLost: 0, bytes: 0, sessions: 0) }
        )
    }
}

extension StatusReport.Delivery {
    mutating func add(_ client: StatusReport.Client) {
        samplesSent += client.samplesSent
        samplesSkipped += client.samplesSkipped
        framesSent += client.framesSent
        bytesSent += client.bytesSent
    }
}
