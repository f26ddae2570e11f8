import Foundation
import Logging
import SensorBridgeCore
import SensorBridgeStream
import Synchronization

/// The source of a bridge with no device: it subscribes to an edge bridge's base topic and
/// puts what arrives into this bridge's stream, so `/graph`, the page, `/api/status` and
/// history work as if the board were plugged in here, state changes included. The broker
/// does the fan-out between relays; each relay fans out to its own browsers.
///
/// Anyone allowed to publish on the topic reaches the relay, so nothing a message says is
/// trusted: one thread keeps the broker's connection and only queues what arrives (bounded:
/// `RelayInbox`); another reads each message within `MQTTMessages.Limits`, believes its
/// numbers only as far as the edge bears them out (`EdgeFollower`), and paces the state
/// changes viewers are sent (`StatusPacer`). Refusals are counted and logged in summary.
public final class MQTTRelay: Sendable {
    public let counters: BrokerLinkCounters
    private let connection: BrokerConnection
    /// Where the edge's samples enter, as any source's do; states go to its stream.
    private let pipeline: IngestPipeline
    private var stream: SensorStream { pipeline.stream }
    private let logger: Logger
    private let limits: MQTTMessages.Limits
    private let linkThread = SourceThread()
    private let readerThread = SourceThread()
    private let inbox = RelayInbox()
    private let stopped = Atomic<Bool>(false)
    /// Refused messages, and the relay's notes on the edge (gaps, restarts): a few lines a second.
    private let rejections: ThrottledLog
    private let notes: ThrottledLog

    public init(pipeline: IngestPipeline, connection: BrokerConnection, limits: MQTTMessages.Limits = .standard, logger: Logger) {
        self.pipeline = pipeline
        self.connection = connection
        self.limits = limits
        self.logger = logger
        self.counters = BrokerLinkCounters(role: "relay", broker: connection.address.displayed)
        self.rejections = ThrottledLog(logger: logger, subject: "refused MQTT messages", linesPerSecond: 3)
        self.notes = ThrottledLog(logger: logger, subject: "notes on the edge's stream", linesPerSecond: 3)
    }

    /// How a relay presents its source before the edge has said anything.
    public static func sourceStatus(for address: MQTTAddress) -> SourceStatus {
        SourceStatus(kind: .mqtt, name: address.displayed, baud: nil, state: .starting,
                     detail: "connecting to the broker")
    }

    public func start() throws {
        let client = try MosquittoClient(connection, will: nil, maxIncomingBytes: limits.maxPayloadBytes)
        let box = ClientBox(client)
        readerThread.start(name: "mqtt-relay-read") { [self] in read() }
        linkThread.start(name: "mqtt-relay") { [self] in keepLink(client: box.take()) }
    }

    /// Stops once: a second call (the bridge stops a source before its publisher, then in
    /// its own turn) does nothing.
    public func stop() {
        guard !stopped.exchange(true, ordering: .acquiringAndReleasing) else { return }
        linkThread.stop()
        readerThread.stop()
        stream.updateSource(state: .stopped, detail: "the relay stopped")
    }

    // MARK: - The broker's connection (one thread: it only queues what arrives)

    private func keepLink(client: MosquittoClient) {
        let address = connection.address
        let link = MQTTLink(client: client, counters: counters, logger: logger)
        link.handlers.connected = { [stream, counters] in
            for topic in [address.statusTopic, address.channelsTopic, address.samplesTopic] {
                if let failure = client.subscribe(topic: topic) {
                    counters.update { $0.lastError = "cannot subscribe to \(topic): \(failure)" }
                }
            }
            if stream.sourceStatus.state != .connected {
                // The edge's retained status, if any, follows at once and says where it stands.
                stream.updateSource(state: .starting, detail: "connected to the broker; waiting for the bridge publishing \(address.base)")
            }
        }
        link.handlers.lost = { [stream] reason, wasConnected in
            let detail = wasConnected
                ? "lost the broker \(address.displayed) (\(reason)); reconnecting"
                : "cannot reach the broker \(address.displayed) (\(reason)); retrying"
            if stream.sourceStatus.detail != detail || stream.sourceStatus.state != .disconnected {
                stream.updateSource(state: .disconnected, detail: detail)
            }
        }
        link.handlers.message = { [inbox, counters, rejections] topic, payload in
            counters.update { $0.messagesReceived += 1 }
            guard inbox.push(.init(topic: topic, payload: payload)) else {
                counters.update { $0.messagesDropped += 1 }
                rejections.warning("MQTT: dropped a message on \(topic): they come faster than this relay reads them")
                return
            }
        }
        link.handlers.oversized = { [counters, rejections, limits] topic, bytes in
            counters.update {
                $0.messagesReceived += 1
                $0.messagesRejected += 1
            }
            rejections.warning("MQTT: refused a message of \(bytes) bytes on \(topic) unread (at most \(limits.maxPayloadBytes) are read)")
        }
        while !linkThread.isStopping {
            link.service(maxWaitMicros: 100_000)
        }
        link.close(pendingWrites: { false })
    }

    // MARK: - Reading (another thread: decoding never holds up the connection)

    private func read() {
        let address = connection.address
        let base = address.base
        var follower = EdgeFollower()
        var pacer = StatusPacer()
        func shown() -> StatusPacer.Change {
            let status = stream.sourceStatus
            return (status.state, status.detail)
        }
        func show(_ change: StatusPacer.Change?) {
            guard let change else { return }
            // While the broker is out of reach its own state stands ("lost the broker…"), not
            // what the edge said before.
            guard counters.snapshot.connected else {
                pacer.drop()
                return
            }
            if stream.sourceStatus.baud != follower.baud { stream.updateSourceBaud(follower.baud) }
            stream.updateSource(state: change.state, detail: change.detail)
        }
        func reject(_ reason: some CustomStringConvertible) {
            counters.update { $0.messagesRejected += 1 }
            rejections.warning("MQTT: refused a message on \(base): \(reason)")
        }
        func act(_ actions: [EdgeFollower.Action]) {
            for action in actions {
                switch action {
                case .publish(let samples):
                    for sample in samples where sample.linesLostBefore > 0 {
                        let lines = sample.linesLostBefore
                        notes.warning("MQTT: \(lines) line\(lines == 1 ? "" : "s") lost on the wire at the edge (its sketch's line counter skipped)")
                    }
                    pipeline.ingest(parsed: samples)
                    counters.update { $0.samplesReceived = $0.samplesReceived.addingSaturating(UInt64(samples.count)) }
                case .missed(let count, let from):
                    counters.update { $0.samplesMissed = $0.samplesMissed.addingSaturating(count) }
                    let detail = "\(count) samples of the edge (numbers \(from)–\(from.addingSaturating(count - 1))) never reached this relay"
                    notes.warning("MQTT: \(detail)")
                    show(pacer.offer((pacer.waitingState ?? stream.sourceStatus.state, detail), shown: shown(), nowMicros: WallClock.nowMicros()))
                case .state(let state, let detail):
                    show(pacer.offer((state, detail), shown: shown(), nowMicros: WallClock.nowMicros()))
                case .newRun(let run):
                    notes.info("MQTT: the bridge publishing \(base) started again (stream \(run))")
                case .resynced(let from, let to):
                    notes.warning("MQTT: the edge's numbers went back from \(from) to \(to), newer in time: the numbers before were not the edge's (someone else publishes on \(base)?)")
                case .rejected(let reason):
                    reject(reason)
                }
            }
        }
        while !readerThread.isStopping {
            for message in inbox.take(waitingUpTo: 100) {
                var tally = StreamStatistics.Tally()
                tally.countRelayed(samples: 0, bytes: message.payload.count)
                stream.statistics.add(tally)
                let received: MQTTMessages.Received
                do {
                    received = try MQTTMessages.decode(message.payload, limits: limits)
                } catch {
                    reject(error)
                    continue
                }
                guard address.topic(carrying: received) == message.topic else {
                    reject(MQTTPayloadError(fixed: "a message on a topic that does not carry its type"))
                    continue
                }
                act(follower.take(received, nowMicros: WallClock.nowMicros(), steadyMicros: WallClock.monotonicMicros()))
            }
            let now = WallClock.nowMicros()
            act(follower.expire(nowMicros: now, steadyMicros: WallClock.monotonicMicros()))
            show(pacer.due(shown: shown(), nowMicros: now))
            rejections.flush(nowMicros: now)
            notes.flush(nowMicros: now)
        }
    }
}
