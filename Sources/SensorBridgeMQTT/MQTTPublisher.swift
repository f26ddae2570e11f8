import Foundation
import Logging
import SensorBridgeCore
import SensorBridgeStream
import Synchronization

/// The sink that feeds a broker: one more subscriber of the stream, with a cursor and a
/// thread of its own, so a broker that is slow, down or gone never holds up the serial
/// reader or the WebSocket clients. On each tick it publishes what arrived as one batched
/// `samples` message; the channel names and the source's state are retained, so a relay
/// that subscribes later knows at once what it is looking at. What cannot go out (no
/// connection, a full backlog, a break before it was written) is counted, not queued.
public final class MQTTPublisher: Sendable {
    public struct Settings: Sendable {
        public var connection: BrokerConnection
        /// Batches per second.
        public var tickHertz: Double = 20
        /// Home Assistant discovery under this prefix (`homeassistant`); nil: off.
        public var homeAssistantPrefix: String?
        /// Messages handed to the library but not yet written, beyond which batches are dropped.
        public var maxUnwritten = 100
        /// Samples in one message at most (a long tick at a high rate is split).
        public var maxSamplesPerMessage = 2_000

        public init(connection: BrokerConnection) {
            self.connection = connection
        }

        var address: MQTTAddress { connection.address }
    }

    public let counters: BrokerLinkCounters
    private let settings: Settings
    private let stream: SensorStream
    private let logger: Logger
    private let thread = SourceThread()
    private let pending = Atomic<Bool>(true)
    private let subscription = Mutex<StreamSubscription?>(nil)

    public init(stream: SensorStream, settings: Settings, logger: Logger) {
        self.stream = stream
        self.settings = settings
        self.logger = logger
        self.counters = BrokerLinkCounters(role: "publish", broker: settings.address.displayed)
    }

    /// Checks the settings the library can check now, then publishes until `stop()`. The
    /// broker need not be up: the link keeps trying.
    public func start() throws {
        let client = try MosquittoClient(
            settings.connection,
            will: (settings.address.statusTopic, MQTTMessages.lastWill(base: settings.address.base, stream: stream.streamID)))
        let box = ClientBox(client)
        let wake = stream.subscribe { [weak self] in self?.pending.store(true, ordering: .relaxed) }
        subscription.withLock { $0 = wake }
        thread.start(name: "mqtt-publish") { [self] in run(client: box.take()) }
    }

    /// Says "stopped" on the status topic, disconnects and waits for the thread.
    public func stop() {
        subscription.withLock { $0?.cancel() }
        thread.stop()
    }

    private func run(client: MosquittoClient) {
        let link = MQTTLink(client: client, counters: counters, logger: logger)
        let stream = self.stream
        var state = PublisherState(
            address: settings.address, stream: stream, homeAssistantPrefix: settings.homeAssistantPrefix,
            maxSamplesPerMessage: settings.maxSamplesPerMessage)
        var unwritten: [Int32: Int] = [:]
        func send(_ message: PublisherState.Message) {
            guard unwritten.count < settings.maxUnwritten || message.samples == 0 else {
                counters.update { $0.samplesDropped += UInt64(message.samples) }
                return
            }
            switch client.publish(topic: message.topic, payload: message.payload, retain: message.retain) {
            case .success(let mid):
                unwritten[mid] = message.samples
            case .failure:
                counters.update { $0.samplesDropped += UInt64(message.samples) }
            }
        }
        link.handlers.connected = {
            for message in state.greeting() { send(message) }
        }
        // Counted as published once written to the broker's socket; queued messages die
        // with a broken connection, and their samples are counted as dropped.
        link.handlers.written = { [counters] mid in
            guard let samples = unwritten.removeValue(forKey: mid) else { return }
            counters.update {
                $0.messagesPublished += 1
                $0.samplesPublished += UInt64(samples)
            }
        }
        link.handlers.lost = { [counters] _, _ in
            let lost = unwritten.values.reduce(0, +)
            unwritten.removeAll()
            if lost > 0 { counters.update { $0.samplesDropped += UInt64(lost) } }
        }

        let period = Int64(1_000_000 / settings.tickHertz)
        var nextTick = WallClock.monotonicMicros() + period
        while !thread.isStopping {
            let now = WallClock.monotonicMicros()
            if now >= nextTick {
                nextTick = max(nextTick + period, now + period / 4)
                if pending.exchange(false, ordering: .relaxed) {
                    let messages = state.take(stream.read(from: state.cursor), connected: link.isConnected)
                    if messages.dropped > 0 { counters.update { $0.samplesDropped += messages.dropped } }
                    for message in messages.out { send(message) }
                }
            }
            link.service(maxWaitMicros: min(max(0, nextTick - WallClock.monotonicMicros()), 100_000))
        }
        // Goodbye: what is pending, then the final status, so relays say "stopped", not "gone".
        if link.isConnected {
            for message in state.take(stream.read(from: state.cursor), connected: true).out { send(message) }
            send(state.farewell())
        }
        link.close(pendingWrites: { !unwritten.isEmpty })
    }
}
