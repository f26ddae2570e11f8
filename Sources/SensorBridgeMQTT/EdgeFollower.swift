import SensorBridgeCore
import SensorBridgeStream

/// What a relay makes of the edge bridge's messages, taken in the order the broker delivers
/// them: samples with the channel names in force, the edge's state, and the samples that
/// never arrived (QoS 0 drops what is in flight when a broker or a link goes).
///
/// Anyone who may publish on the topic can send anything, so numbers are believed only as
/// far as the edge's own story bears them out. The run (`stream`) is the one the edge's
/// status announced; within it, the next expected message is taken at once. Any other
/// message is held until the edge confirms it: by its status (`seq`), or by the edge's own
/// pattern, a chain of messages that continue each other *while the stream has stalled*
/// (nothing at the expected number for four of its usual intervals, at least 250 ms; 10 s for
/// a chain of another run). A real gap stalls the stream and its next messages form such a
/// chain; forged numbers, a forged run or a replay cannot stall it while the edge keeps
/// sending, so they are never believed, and if they were (while the edge was quiet), the
/// edge's next messages win the stream back the same way. A run announced by a status that
/// sends nothing gives way at once to the run before it going on where it stopped. Refused outright: numbers behind the stream timed no later than what was
/// delivered (a replay), times over 60 s ahead of the relay's clock, a jump larger than a
/// million samples a second, old samples of an earlier run. Every refusal has its reason.
public struct EdgeFollower: Sendable {
    public enum Action: Sendable, Equatable {
        /// Samples to put into the relay's stream, in order.
        case publish([Sample])
        /// `count` samples of the edge, from number `from` on, never arrived.
        case missed(count: UInt64, from: UInt64)
        /// The edge's source changed state (or the edge itself came, stopped or vanished).
        case state(SourceStatus.State, detail: String)
        /// The edge bridge restarted: its numbers start again.
        case newRun(stream: String)
        /// The edge's numbers went back to `to` (where `from` was expected), newer in time
        /// than what was delivered: the numbers followed until then were not the edge's.
        case resynced(from: UInt64, to: UInt64)
        /// A message that cannot be the edge's next: counted, and logged in summary.
        case rejected(Rejection)
    }

    /// Why a message was refused; words only when logged (floods make refusing common).
    public enum Rejection: Sendable, Equatable, CustomStringConvertible {
        case clockAhead(first: UInt64, seconds: Int64)
        case earlierRun(String)
        case old(first: UInt64)
        case aheadButOlder(first: UInt64)
        case implausibleJump(first: UInt64, jump: UInt64, seconds: Double)
        case unconfirmed(first: UInt64)
        case tooManyHeld(first: UInt64)
        case behind(first: UInt64, expected: UInt64)

        public var description: String {
            switch self {
            case .clockAhead(let first, let seconds): "samples numbered \(first)… timed \(seconds) s ahead of this relay's clock"
            case .earlierRun(let run): "samples of an earlier run of the edge (\(run))"
            case .old(let first): "samples numbered \(first)… timed before the last one delivered: old or repeated"
            case .aheadButOlder(let first): "samples numbered \(first)… (ahead) timed before the last one delivered"
            case .implausibleJump(let first, let jump, let seconds):
                "samples numbered \(first)…: a jump of \(jump) in \(seconds) s is more than the edge sends"
            case .unconfirmed(let first): "samples numbered \(first)… never confirmed by the edge"
            case .tooManyHeld(let first): "samples numbered \(first)… never confirmed by the edge (more than \(EdgeFollower.maxHeld) waiting)"
            case .behind(let first, let expected): "samples numbered \(first)… when \(expected) is next: old or repeated"
            }
        }
    }

    /// A message not yet confirmed by the edge.
    private struct Held: Sendable {
        var first: UInt64
        var rows: [MQTTMessages.Row]
        var stream: String?
        /// When it arrived: one the edge has not confirmed within `maxHeldMicros` never will be.
        var arrivedMicros: Int64
        var end: UInt64 { first + UInt64(rows.count) }  // checked by the decoder: cannot overflow
        var values: Int { rows.reduce(0) { $0 + $1.values.count + 1 } }
        var firstTime: Int64 { rows[0].timeMicros }
        var lastTime: Int64 { rows[rows.count - 1].timeMicros }
    }

    /// Held messages at most, and their values in all, of the followed run and of other runs
    /// each: what a flood of forged numbers can make the relay keep. The lowest numbers are
    /// kept (a real gap or a restart is near, a forged number anywhere), the highest go first.
    public static let maxHeld = 64
    public static let maxHeldValues = 200_000
    public static let maxHeldMicros: Int64 = 10_000_000
    /// How far ahead of the relay's clock the edge's may be (keep them in step: NTP).
    public static let maxClockLeadMicros: Int64 = 60_000_000
    /// The stream has stalled once nothing arrived at the expected number for this long, and
    /// for four of its usual intervals between messages: then a chain of its run may jump it.
    public static let minStallMicros: Int64 = 250_000
    /// A chain of another run takes the stream only after the followed run has been silent this
    /// long: a restart whose status was lost is rare, a quiet board is not.
    public static let runChangeStallMicros: Int64 = 10_000_000
    /// More samples a second than any edge sends (a replay at full speed): a jump beyond that
    /// in the time it claims is a lie.
    public static let maxSamplesPerSecond: Double = 1_000_000
    /// Runs the edge had before, and where each ended: their samples are old, never a new
    /// run, unless they continue exactly where they stopped (the run announced since was not
    /// the edge's).
    private static let runsRemembered = 8

    /// The edge run being followed (`stream` of its status).
    public private(set) var stream: String?
    /// The edge's number of the next sample expected; nil until the run's first is confirmed.
    public private(set) var expected: UInt64?
    /// The next sample's number as the run's latest status said.
    public private(set) var statusSeq: UInt64?
    /// The edge's time of the last sample delivered, never later than the relay's clock was
    /// then (a forged time ahead cannot make the edge's real samples look old).
    public private(set) var lastTime: Int64?
    /// The edge's source, as its status last said (`/dev/ttyACM0`, baud).
    public private(set) var sourceName: String?
    public private(set) var baud: Int?
    /// When (relay's clock) the stream last moved at the expected number, or its run began.
    private var lastAdvanceMicros: Int64?
    /// The usual time between messages that arrive as expected (smoothed).
    private var usualIntervalMicros: Double?
    private var held: [Held] = []
    private var earlierRuns: [(stream: String, end: UInt64?)] = []
    private var named: ChannelLayout?
    private var defaulted: ChannelLayout?

    public init() {}

    /// Messages held for confirmation (for tests and the status page).
    public var heldCount: Int { held.count }

    /// What `message`, arriving at `nowMicros` (the relay's clock), means for the relay's stream.
    public mutating func take(_ message: MQTTMessages.Received, nowMicros: Int64 = WallClock.nowMicros()) -> [Action] {
        switch message {
        case .status(let status):
            var actions: [Action] = []
            if let run = status.stream, run != stream {
                if stream != nil { actions.append(.newRun(stream: run)) }
                startRun(run, nowMicros: nowMicros)
            }
            if status.presence == .online {
                sourceName = status.sourceName ?? sourceName
                baud = status.baud ?? baud
            }
            if let seq = status.nextSample { statusSeq = seq }
            let state: SourceStatus.State = switch status.presence {
            case .online: status.state
            case .stopped: .stopped
            case .gone: .disconnected
            }
            actions.append(.state(state, detail: status.detail))
            settle(&actions, nowMicros: nowMicros)
            return actions
        case .channels(_, let names):
            named = ChannelLayout(names: names, isNamedByDevice: true)
            return []
        case .samples(let first, let rows, let run):
            guard !rows.isEmpty else { return [] }
            let message = Held(first: first, rows: rows, stream: run, arrivedMicros: nowMicros)
            if let refusal = refusal(of: message, nowMicros: nowMicros) { return [.rejected(refusal)] }
            var actions: [Action] = []
            if isSameRun(message), let expected, first == expected {
                advance(nowMicros)
                deliver(message, actions: &actions, nowMicros: nowMicros)
            } else if isSameRun(message), expected == nil, let statusSeq, first == statusSeq {
                advance(nowMicros)
                deliver(message, actions: &actions, nowMicros: nowMicros)  // where the run's status says it stands
            } else {
                hold(message, actions: &actions)
            }
            settle(&actions, nowMicros: nowMicros)
            return actions
        }
    }

    /// What time alone decides (call it now and then): held messages confirmed once the
    /// stream has stalled long enough, and those not confirmed within `maxHeldMicros` refused.
    public mutating func expire(nowMicros: Int64 = WallClock.nowMicros()) -> [Action] {
        var actions: [Action] = []
        settle(&actions, nowMicros: nowMicros)
        let isStale = { (message: Held) in nowMicros.subtractingSaturating(message.arrivedMicros) >= Self.maxHeldMicros }
        actions += held.filter(isStale).map { .rejected(.unconfirmed(first: $0.first)) }
        held.removeAll(where: isStale)
        return actions
    }

    // MARK: - What cannot be the edge's

    private func isSameRun(_ message: Held) -> Bool { message.stream == nil || message.stream == stream }

    /// Why `message` cannot be the edge's, or nil when it may be.
    private func refusal(of message: Held, nowMicros: Int64) -> Rejection? {
        if message.lastTime.subtractingSaturating(nowMicros) > Self.maxClockLeadMicros {
            return .clockAhead(first: message.first, seconds: message.lastTime.subtractingSaturating(nowMicros) / 1_000_000)
        }
        if let run = message.stream, run != stream, let earlier = earlierRuns.last(where: { $0.stream == run }),
           let end = earlier.end, message.first < end {
            return .earlierRun(run)
        }
        guard let lastTime else { return nil }
        let isBehind = isSameRun(message) && expected.map { message.first < $0 } ?? false
        if (isBehind || !isSameRun(message)), message.lastTime <= lastTime {
            return .old(first: message.first)
        }
        if isSameRun(message), let expected, message.first > expected {
            guard message.firstTime >= lastTime else {
                return .aheadButOlder(first: message.first)
            }
            let jump = message.first - expected
            let seconds = Double(message.firstTime - lastTime) / 1e6
            if Double(jump) > Self.maxSamplesPerSecond * seconds + 1_000 {
                return .implausibleJump(first: message.first, jump: jump, seconds: seconds)
            }
        }
        return nil
    }

    /// Whether nothing has arrived at the expected number for long enough that the edge must
    /// have gone on elsewhere (a gap, a restart), or stopped.
    private func hasStalled(_ now: Int64, atLeast minimum: Int64 = EdgeFollower.minStallMicros) -> Bool {
        guard let lastAdvanceMicros else { return true }
        let stall = max(Double(minimum), 4 * (usualIntervalMicros ?? 0))
        return Double(now.subtractingSaturating(lastAdvanceMicros)) >= stall
    }

    /// A message arrived as expected: the stream moves, and its usual pace is learnt.
    private mutating func advance(_ now: Int64) {
        if let lastAdvanceMicros {
            let interval = Double(max(0, now.subtractingSaturating(lastAdvanceMicros)))
            usualIntervalMicros = usualIntervalMicros.map { $0 + 0.1 * (interval - $0) } ?? interval
        }
        lastAdvanceMicros = now
    }

    // MARK: - Runs

    private mutating func startRun(_ run: String, nowMicros: Int64) {
        if let stream {
            earlierRuns.removeAll { $0.stream == stream || $0.stream == run }
            earlierRuns.append((stream, expected))
            if earlierRuns.count > Self.runsRemembered { earlierRuns.removeFirst() }
        }
        stream = run
        expected = nil
        statusSeq = nil
        lastAdvanceMicros = nowMicros
        usualIntervalMicros = nil
        // Held messages of the new run stay; those of other runs wait for their own confirmation.
    }

    // MARK: - Holding and confirming

    /// Keeps `message` until confirmed. Messages of the followed run and of other runs are
    /// bounded apart, so a flood of one kind never pushes out a real message of the other.
    private mutating func hold(_ message: Held, actions: inout [Action]) {
        held.append(message)
        let ofThisRun = trimmed(held.filter(isSameRun), actions: &actions)
        let ofOtherRuns = trimmed(held.filter { !isSameRun($0) }, actions: &actions)
        held = ofThisRun + ofOtherRuns
    }

    /// The lowest-numbered of `messages` that fit the bounds; the others are refused.
    private func trimmed(_ messages: [Held], actions: inout [Action]) -> [Held] {
        var kept = messages.sorted { $0.first < $1.first }
        var values = kept.reduce(0) { $0 + $1.values }
        while kept.count > Self.maxHeld || (values > Self.maxHeldValues && kept.count > 1) {
            let dropped = kept.removeLast()
            values -= dropped.values
            actions.append(.rejected(.tooManyHeld(first: dropped.first)))
        }
        return kept
    }

    /// Takes every held message the edge's story now bears out, in order.
    private mutating func settle(_ actions: inout [Action], nowMicros: Int64) {
        while let index = confirmedIndex(nowMicros) {
            var message = held[index]
            // Held messages between the stream and the confirmed one, in number and in time,
            // are the edge's too: it sends in order. They go first.
            if isSameRun(message), let expected, let lastTime, message.first > expected,
               let earlier = held.first(where: {
                   isSameRun($0) && $0.first >= expected && $0.end <= message.first
                       && $0.firstTime >= lastTime && $0.lastTime <= message.firstTime
               }) {
                message = earlier
            }
            held.removeAll { $0.first == message.first && $0.arrivedMicros == message.arrivedMicros && $0.stream == message.stream }
            if let run = message.stream, run != stream {
                let resumed = earlierRuns.last { $0.stream == run }?.end
                if stream != nil { actions.append(.newRun(stream: run)) }
                startRun(run, nowMicros: nowMicros)
                expected = resumed
            }
            if let expected, message.first > expected {
                actions.append(.missed(count: message.first - expected, from: expected))
            } else if let expected, message.first < expected {
                actions.append(.resynced(from: expected, to: message.first))
            }
            lastAdvanceMicros = nowMicros
            deliver(message, actions: &actions, nowMicros: nowMicros)
        }
        // Behind the stream now, and no newer in time: they can never be next.
        guard let expected, let lastTime else { return }
        let run = stream
        let isOld = { (message: Held) in
            (message.stream == nil || message.stream == run) && message.first < expected && message.lastTime <= lastTime
        }
        for message in held where isOld(message) {
            actions.append(.rejected(.behind(first: message.first, expected: expected)))
        }
        held.removeAll(where: isOld)
    }

    /// A held message that is next, or that the edge confirmed: the run's status says the
    /// stream stands at its start or end, or, once the stream has stalled, another held one
    /// continues from it (same run).
    private func confirmedIndex(_ now: Int64) -> Int? {
        let stalled = hasStalled(now)
        let runStalled = hasStalled(now, atLeast: Self.runChangeStallMicros)
        for (index, message) in held.enumerated() {
            let sameRun = isSameRun(message)
            if sameRun, let expected, message.first == expected { return index }
            if sameRun, expected.map({ message.first > $0 }) ?? true,
               let statusSeq, message.first == statusSeq || message.end == statusSeq { return index }
            // The run before goes on exactly where it stopped, and the run announced since has
            // sent nothing: the announcement was not the edge's (its old run never resumes).
            if !sameRun, expected == nil, let run = message.stream,
               earlierRuns.last(where: { $0.stream == run })?.end == message.first { return index }
            if sameRun ? stalled : runStalled,
               held.contains(where: { $0.first == message.end && $0.stream == message.stream }) { return index }
        }
        return nil
    }

    private mutating func deliver(_ message: Held, actions: inout [Action], nowMicros: Int64) {
        expected = message.end
        lastTime = max(lastTime ?? .min, min(message.lastTime, nowMicros))
        actions.append(.publish(message.rows.map {
            Sample(timeMicros: $0.timeMicros, values: $0.values, layout: layout(for: $0.values.count))
        }))
    }

    /// The names the edge gave, when they fit the sample; else `x,y,z` / `ch1…`, one
    /// instance per width so consumers can compare layouts by identity.
    private mutating func layout(for count: Int) -> ChannelLayout {
        if let named, named.count == count { return named }
        if let defaulted, defaulted.count == count { return defaulted }
        let made = ChannelLayout.defaultNames(count: count)
        defaulted = made
        return made
    }
}
