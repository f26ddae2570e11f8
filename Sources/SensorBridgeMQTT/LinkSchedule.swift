/// When a broker link connects, waits for the broker's answer, or waits to try again: the
/// decisions of `MQTTLink`, kept apart from the library so they can be tested on their own.
/// Times are monotonic microseconds.
struct LinkSchedule: Sendable, Equatable {
    enum Phase: Sendable, Equatable {
        case waiting(until: Int64)
        case connecting(since: Int64)
        case connected
    }

    enum Step: Sendable, Equatable {
        /// Start a connection attempt now.
        case attempt
        /// Run the network (connecting or connected).
        case service
        /// Nothing to do before this time.
        case sleep(until: Int64)
        /// The broker has not answered in time: drop the attempt.
        case timedOut
    }

    private(set) var phase: Phase = .waiting(until: 0)
    private(set) var backoff: ReconnectBackoff
    /// How long an attempt may wait for the broker's CONNACK.
    let connectTimeoutMicros: Int64

    init(backoff: ReconnectBackoff = ReconnectBackoff(), connectTimeoutMicros: Int64 = 10_000_000) {
        self.backoff = backoff
        self.connectTimeoutMicros = connectTimeoutMicros
    }

    var isConnected: Bool { phase == .connected }

    func next(nowMicros: Int64) -> Step {
        switch phase {
        case .waiting(let until):
            nowMicros >= until ? .attempt : .sleep(until: until)
        case .connecting(let since):
            nowMicros - since >= connectTimeoutMicros ? .timedOut : .service
        case .connected:
            .service
        }
    }

    mutating func attempted(nowMicros: Int64) { phase = .connecting(since: nowMicros) }

    mutating func connected() {
        phase = .connected
        backoff.succeeded()
    }

    /// The attempt failed or the connection broke; returns the seconds until the next try.
    @discardableResult
    mutating func failed(nowMicros: Int64, random: Double) -> Double {
        let wait = backoff.failed(random: random)
        phase = .waiting(until: nowMicros + Int64(wait * 1_000_000))
        return wait
    }
}
