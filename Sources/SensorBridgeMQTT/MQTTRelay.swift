import Foundation
import Logging
import SensorBridgeCore
import SensorBridgeStream

/// The source of a bridge with no device: it subscribes to an edge bridge's base topic and
/// puts what arrives into this bridge's stream, so `/graph`, the page, `/api/status` and
/// history work as if the board were plugged in here, state changes included. The broker
/// does the fan-out between relays; each relay fans out to its own browsers.
public final class MQTTRelay: Sendable {
    public let counters: BrokerLinkCounters
    private let connection: BrokerConnection
    private let stream: SensorStream
    private let logger: Logger
    private let thread = SourceThread()

    public init(stream: SensorStream, connection: BrokerConnection, logger: Logger) {
        self.stream = stream
        self.connection = connection
        self.logger = logger
        self.counters = BrokerLinkCounters(role: "relay", broker: connection.address.displayed)
    }

    /// How a relay presents its source before the edge has said anything.
    public static func sourceStatus(for address: MQTTAddress) -> SourceStatus {
        SourceStatus(kind: "mqtt", name: address.displayed, baud: nil, state: .starting,
                     detail: "connecting to the broker")
    }

    public func start() throws {
        let client = try MosquittoClient(connection, will: nil)
        let box = ClientBox(client)
        thread.start(name: "mqtt-relay") { [self] in run(client: box.take()) }
    }

    public func stop() { thread.stop() }

    private func run(client: MosquittoClient) {
        let address = connection.address
        let link = MQTTLink(client: client, counters: counters, logger: logger)
        var follower = EdgeFollower()
        var rejectedLogged = 0
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
        link.handlers.message = { [stream, counters, logger] _, payload in
            let received: MQTTMessages.Received
            do {
                received = try MQTTMessages.decode(payload)
            } catch {
                counters.update {
                    $0.messagesReceived += 1
                    $0.messagesRejected += 1
                }
                rejectedLogged += 1
                if rejectedLogged <= 5 { logger.warning("MQTT: skipped a message on \(address.base): \(error)") }
                return
            }
            counters.update { $0.messagesReceived += 1 }
            for action in follower.take(received) {
                switch action {
                case .publish(let samples):
                    var tally = StreamStatistics.Tally()
                    tally.countRelayed(samples: samples.count, bytes: payload.count)
                    stream.statistics.add(tally)
                    for sample in samples { stream.publish(sample) }
                    counters.update { $0.samplesReceived += UInt64(samples.count) }
                case .missed(let count, let from):
                    counters.update { $0.samplesMissed += count }
                    let detail = "\(count) samples of the edge (numbers \(from)–\(from + count - 1)) never reached this relay"
                    logger.warning("MQTT: \(detail)")
                    stream.updateSource(state: stream.sourceStatus.state, detail: detail)
                case .state(let state, let detail):
                    if stream.sourceStatus.baud != follower.baud { stream.updateSourceBaud(follower.baud) }
                    stream.updateSource(state: state, detail: detail)
                case .newRun(let run):
                    logger.info("MQTT: the bridge publishing \(address.base) started again (stream \(run))")
                }
            }
        }
        while !thread.isStopping {
            link.service(maxWaitMicros: 100_000)
        }
        link.close(pendingWrites: { false })
        stream.updateSource(state: .stopped, detail: "the relay stopped")
    }
}
