import Foundation
import Logging
import SensorBridgeCore
import SensorBridgeStream

/// One connection to a broker, kept up for as long as its owner runs it: connects, notices
/// a refusal or a break, waits (`LinkSchedule`, with backoff) and connects again, counting
/// it all in `counters`. Lives on its owner's thread; `service` is called in a loop.
final class MQTTLink {
    struct Handlers {
        var connected: () -> Void = {}
        var lost: (_ reason: String, _ wasConnected: Bool) -> Void = { _, _ in }
        var written: (_ mid: Int32) -> Void = { _ in }
        var message: (_ topic: String, _ payload: [UInt8]) -> Void = { _, _ in }
        /// A message over the client's size bound arrived and was not read.
        var oversized: (_ topic: String, _ bytes: Int) -> Void = { _, _ in }
    }

    let client: MosquittoClient
    let counters: BrokerLinkCounters
    var handlers = Handlers()
    private var schedule = LinkSchedule()
    private let logger: Logger
    static let keepAliveSeconds: Int32 = 10
    /// The last failure logged as a warning: a broker that stays down is reported once, and
    /// again only when the reason changes.
    private var lastWarning: String?

    init(client: MosquittoClient, counters: BrokerLinkCounters, logger: Logger) {
        self.client = client
        self.counters = counters
        self.logger = logger
    }

    var isConnected: Bool { schedule.isConnected }
    var broker: String { client.address.displayed }

    /// Does what is due, waiting at most `maxWaitMicros` (for the socket, or idly when
    /// there is nothing to do before the next attempt).
    func service(maxWaitMicros: Int64) {
        let now = WallClock.monotonicMicros()
        switch schedule.next(nowMicros: now) {
        case .attempt:
            schedule.attempted(nowMicros: now)
            if let failure = client.connect(keepAliveSeconds: Self.keepAliveSeconds) { fail(failure) }
        case .sleep(let until):
            WallClock.sleep(untilMonotonicMicros: min(until, now + maxWaitMicros))
        case .timedOut:
            client.disconnect()
            _ = client.loop(timeoutMillis: 0)
            fail("no answer within \(schedule.connectTimeoutMicros / 1_000_000) s")
        case .service:
            let (events, failure) = client.loop(timeoutMillis: Int32(max(0, min(maxWaitMicros / 1000, 1000))))
            var broken: String?
            for event in events {
                switch event {
                case .connected:
                    schedule.connected()
                    counters.update {
                        $0.connected = true
                        $0.connections += 1
                    }
                    logger.info("MQTT: connected to \(broker)")
                    lastWarning = nil
                    handlers.connected()
                case .refused(let reason):
                    broken = "the broker refused the connection: \(reason)"
                case .closed:
                    broken = broken ?? failure ?? "the broker closed the connection"
                case .written(let mid):
                    handlers.written(mid)
                case .message(let topic, let payload):
                    handlers.message(topic, payload)
                case .oversized(let topic, let bytes):
                    handlers.oversized(topic, bytes)
                }
            }
            if let reason = broken ?? failure { fail(reason) }
        }
    }

    private func fail(_ reason: String) {
        let wasConnected = schedule.isConnected
        let wait = schedule.failed(nowMicros: WallClock.monotonicMicros(), random: Double.random(in: 0...1))
        counters.update {
            $0.connected = false
            $0.lastError = reason
            if wasConnected { $0.connectionsLost += 1 }
        }
        let retry = String(format: "%.1f", wait)
        if wasConnected {
            logger.warning("MQTT: lost the broker \(broker): \(reason); reconnecting in \(retry) s")
        } else if lastWarning != reason {
            logger.warning("MQTT: cannot reach the broker \(broker): \(reason); retrying (with backoff) in \(retry) s")
        } else {
            logger.debug("MQTT: still cannot reach \(broker): \(reason); next try in \(retry) s")
        }
        lastWarning = reason
        handlers.lost(reason, wasConnected)
    }

    /// Ends the connection politely (no Last Will), giving queued messages up to
    /// `graceMicros` to leave.
    func close(graceMicros: Int64 = 1_000_000, pendingWrites: () -> Bool) {
        guard schedule.isConnected else { return }
        let deadline = WallClock.monotonicMicros() + graceMicros
        while pendingWrites(), WallClock.monotonicMicros() < deadline {
            let (events, failure) = client.loop(timeoutMillis: 50)
            for case .written(let mid) in events { handlers.written(mid) }
            if failure != nil { break }
        }
        client.disconnect()
        _ = client.loop(timeoutMillis: 100)
        counters.update { $0.connected = false }
    }
}
