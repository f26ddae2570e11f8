import SensorBridgeCore
import SensorBridgeStream

/// What a relay makes of the edge bridge's messages, taken in the order the broker delivers
/// them: samples with the channel names in force, the edge's state, and the samples that
/// never arrived (QoS 0 drops what is in flight when a broker or a link goes).
///
/// Anyone who may publish on the topic can send anything, so numbers are believed only as
/// far as the edge's own story bears them out. The run (`stream`) is the one the edge's
/// status announced; within it, the next expected message is taken at once. Any other
/// message is held until the edge confirms it: by its status (`seq`), or by its own pattern,
/// messages that continue each other *while the stream has stalled* (nothing at the expected
/// number for four of its usual intervals: 20 ms to 2 s; 10 s for messages of another run). A
/// real gap stalls the stream and the edge's next messages form such a chain; forged numbers,
/// a forged run or a replay cannot stall it while the edge keeps sending, so they are never
/// believed, and if they were (while the edge was quiet), the edge's next messages win the
/// stream back the same way. A run announced by a status gives way at once to the run before
/// it going on exactly where it stopped. Refused outright: numbers behind the stream timed no
/// later than what was delivered, or behind what was delivered in the last 2 s (a replay);
/// rows timed over 10 s ahead of the relay's clock; a jump of more than a million samples a
/// second in the time it claims; old samples of an earlier run. Each refusal has its reason.
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
            case .old(let first): "samples numbered \(first)… behind the stream and timed no later: old or repeated"
            case .aheadButOlder(let first): "samples numbered \(first)… (ahead) timed before the last one delivered"
            case .implausibleJump(let first, let jump, let seconds):
                "samples numbered \(first)…: a jump of \(jump) in \(seconds) s is more than the edge sends"
            case .unconfirmed(let first): "samples numbered \(first)… never confirmed by the edge"
            case .tooManyHeld(let first): "samples numbered \(first)… refused: more than \(EdgeFollower.maxHeld) wait for the edge to confirm them"
            case .behind(let first, let expected): "samples numbered \(first)… when \(expected) is next: old or repeated"
            }
        }
    }

    private typealias Held = HeldMessages.Message
    private typealias Key = HeldMessages.Key

    /// Held messages at most of the followed run (of other runs: `maxHeldOfOtherRuns`), and
    /// their values in all: what a flood of forged numbers can make the relay keep. Messages
    /// that continue another (or the stream) are kept first, then the lowest numbers (a real
    /// gap or a restart is near, a forged number anywhere); past the bound a quarter go.
    public static let maxHeld = 256
    public static let maxHeldOfOtherRuns = 32
    public static let maxHeldValues = 400_000
    /// A held message lives this long, or three of the stream's usual intervals if longer.
    public static let maxHeldMicros: Int64 = 60_000_000
    /// How far ahead of the relay's clock the edge's may be (keep them in step: NTP). A row
    /// timed ahead is one every page drops samples before, until its time has come.
    public static let maxClockLeadMicros: Int64 = 10_000_000
    /// The stream has stalled once nothing arrived at the expected number for four of its
    /// usual intervals, within these bounds (the lower one before any interval is known).
    public static let minStallMicros: Int64 = 20_000
    public static let maxStallMicros: Int64 = 2_000_000
    public static let firstStallMicros: Int64 = 250_000
    /// A chain of another run takes the stream only after the followed run has been silent this
    /// long: a restart whose status was lost is rare, a quiet board is not.
    public static let runChangeStallMicros: Int64 = 10_000_000
    /// More samples a second than any edge sends (a replay at full speed): a jump beyond that
    /// in the time it claims is a lie.
    public static let maxSamplesPerSecond: Double = 1_000_000
    /// The numbers may go back (the edge's own after forged ones) only as far as what was
    /// delivered this recently.
    public static let resyncWindowMicros: Int64 = 2_000_000
    /// Runs the edge had before, and where each ended.
    private static let runsRemembered = 8

    /// The edge run being followed (`stream` of its status).
    public private(set) var stream: String?
    /// The edge's number of the next sample expected; nil until the run's first is confirmed.
    public private(set) var expected: UInt64?
    /// The next sample's number as the run's latest status said.
    public private(set) var statusSeq: UInt64?
    /// The edge's time of the run's last sample delivered, never later than the relay's clock
    /// was then (a forged time ahead cannot make the edge's real samples look old).
    public private(set) var lastTime: Int64?
    /// The edge's source, as its status last said (`/dev/ttyACM0`, baud).
    public private(set) var sourceName: String?
    public private(set) var baud: Int?
    /// When (steady clock) the stream last moved at the expected number, or its run began.
    private var lastAdvanceMicros: Int64?
    /// The usual time between messages that arrive as expected (smoothed).
    private var usualIntervalMicros: Double?
    /// What was delivered lately (steady clock, first number): how far back a resync may go.
    private var recentDeliveries: [(micros: Int64, first: UInt64)] = []
    private var held = HeldMessages()
    private var earlierRuns: [(stream: String, end: UInt64?, lastTime: Int64?)] = []
    private var named: ChannelLayout?
    private var defaulted: ChannelLayout?

    public init() {}

    /// Messages held for confirmation (for tests and the status page).
    public var heldCount: Int { held.count }

    /// What `message` means for the relay's stream. `nowMicros` is the relay's wall clock (to
    /// compare with the edge's times), `steadyMicros` a clock that never jumps (for how long
    /// things wait); by default the same.
    public mutating func take(_ message: MQTTMessages.Received, nowMicros: Int64 = WallClock.nowMicros(),
                              steadyMicros: Int64? = nil) -> [Action] {
        let steady = steadyMicros ?? nowMicros
        switch message {
        case .status(let status):
            var actions: [Action] = []
            if let run = status.stream, run != stream {
                if stream != nil { actions.append(.newRun(stream: run)) }
                startRun(run, steadyMicros: steady)
            }
            if status.presence == .online {
                sourceName = status.sourceName ?? sourceName
                baud = status.baud ?? baud
            }
            if let seq = status.nextSample { statusSeq = seq }
            // The samples it bears out come before the state it reports.
            settle(&actions, nowMicros: nowMicros, steadyMicros: steady)
            actions.append(.state(Self.state(of: status), detail: status.detail))
            return actions
        case .channels(_, let names):
            named = ChannelLayout(names: names, isNamedByDevice: true)
            return []
        case .samples(let first, let rows, let run):
            guard !rows.isEmpty else { return [] }
            let message = Held(first: first, rows: rows, stream: run, arrivedMicros: steady)
            if message.lastTime == .min { return [] }
            if let refusal = refusal(of: message, nowMicros: nowMicros, steadyMicros: steady) { return [.rejected(refusal)] }
            var actions: [Action] = []
            if isSameRun(message), let expected, first == expected {
                advance(steady)
                deliver(message, actions: &actions, nowMicros: nowMicros, steadyMicros: steady)
            } else if isSameRun(message), expected == nil, let statusSeq, first == statusSeq {
                advance(steady)
                deliver(message, actions: &actions, nowMicros: nowMicros, steadyMicros: steady)  // where the run's status says it stands
            } else {
                hold(message, actions: &actions)
            }
            settle(&actions, nowMicros: nowMicros, steadyMicros: steady)
            return actions
        }
    }

    /// What time alone decides (call it now and then): held messages confirmed once the
    /// stream has stalled long enough, and those not confirmed in time refused.
    public mutating func expire(nowMicros: Int64 = WallClock.nowMicros(), steadyMicros: Int64? = nil) -> [Action] {
        let steady = steadyMicros ?? nowMicros
        var actions: [Action] = []
        settle(&actions, nowMicros: nowMicros, steadyMicros: steady)
        let lifetime = max(Self.maxHeldMicros, Int64(saturating: 3 * (usualIntervalMicros ?? 0)))
        for message in held.messages where steady.subtractingSaturating(message.arrivedMicros) >= lifetime {
            held.remove(message.key)
            actions.append(.rejected(.unconfirmed(first: message.first)))
        }
        return actions
    }

    private static func state(of status: MQTTMessages.EdgeStatus) -> SourceStatus.State {
        switch status.presence {
        case .online: status.state
        case .stopped: .stopped
        case .gone: .disconnected
        }
    }

    // MARK: - What cannot be the edge's

    private func isSameRun(_ message: Held) -> Bool { isSameRun(message.stream) }
    private func isSameRun(_ run: String?) -> Bool { run == nil || run == stream }
    /// The runs a message of the followed run may name: its own, or none.
    private var followedRuns: [String?] { stream.map { [nil, $0] } ?? [nil] }

    /// Why `message` cannot be the edge's, or nil when it may be.
    private func refusal(of message: Held, nowMicros: Int64, steadyMicros: Int64) -> Rejection? {
        // Every row: one timed ahead would make every page drop what follows until its time.
        if message.lastTime.subtractingSaturating(nowMicros) > Self.maxClockLeadMicros {
            return .clockAhead(first: message.first, seconds: message.lastTime.subtractingSaturating(nowMicros) / 1_000_000)
        }
        if let run = message.stream, run != stream, let earlier = earlierRuns.last(where: { $0.stream == run }),
           let end = earlier.end, message.first < end {
            return .earlierRun(run)
        }
        let sameRun = isSameRun(message)
        if sameRun, let expected, message.first < expected {
            // Behind: a replay, unless the edge's own numbers come back after forged ones,
            // which is newer in time, and not further back than what was just delivered.
            if let lastTime, message.lastTime <= lastTime { return .old(first: message.first) }
            if message.first < resyncFloor(steadyMicros) { return .old(first: message.first) }
        }
        guard let lastTime else { return nil }
        if !sameRun, message.lastTime <= lastTime { return .old(first: message.first) }
        if sameRun, let expected, message.first > expected {
            guard message.firstTime >= lastTime else { return .aheadButOlder(first: message.first) }
            let jump = message.first - expected
            let seconds = Double(message.firstTime - lastTime) / 1e6
            if Double(jump) > Self.maxSamplesPerSecond * seconds + 1_000 {
                return .implausibleJump(first: message.first, jump: jump, seconds: seconds)
            }
        }
        return nil
    }

    /// The lowest number a resync may go back to: the first of what was delivered within
    /// `resyncWindowMicros` (the next expected when nothing was).
    private func resyncFloor(_ steady: Int64) -> UInt64 {
        recentDeliveries.filter { steady.subtractingSaturating($0.micros) <= Self.resyncWindowMicros }
            .map(\.first).min() ?? expected ?? 0
    }

    /// Whether nothing has arrived at the expected number for long enough that the edge must
    /// have gone on elsewhere (a gap, a restart), or stopped.
    private func hasStalled(_ steady: Int64, atLeast minimum: Int64? = nil) -> Bool {
        guard let lastAdvanceMicros else { return true }
        var stall = usualIntervalMicros.map { min(max(4 * $0, Double(Self.minStallMicros)), Double(Self.maxStallMicros)) }
            ?? Double(Self.firstStallMicros)
        if let minimum { stall = max(stall, Double(minimum)) }
        return Double(steady.subtractingSaturating(lastAdvanceMicros)) >= stall
    }

    /// A message arrived as expected: the stream moves, and its usual pace is learnt.
    private mutating func advance(_ steady: Int64) {
        if let lastAdvanceMicros {
            let interval = Double(max(0, steady.subtractingSaturating(lastAdvanceMicros)))
            usualIntervalMicros = usualIntervalMicros.map { $0 + 0.1 * (interval - $0) } ?? interval
        }
        lastAdvanceMicros = steady
    }

    // MARK: - Runs

    private mutating func startRun(_ run: String, steadyMicros: Int64) {
        if let stream {
            earlierRuns.removeAll { $0.stream == stream || $0.stream == run }
            earlierRuns.append((stream, expected, lastTime))
            if earlierRuns.count > Self.runsRemembered { earlierRuns.removeFirst() }
        }
        stream = run
        expected = nil
        statusSeq = nil
        // A new run's times start afresh: its edge's clock may be behind the last one's.
        lastTime = earlierRuns.last { $0.stream == run }?.lastTime
        lastAdvanceMicros = steadyMicros
        usualIntervalMicros = nil
        recentDeliveries = []
    }

    // MARK: - Holding and confirming

    /// Keeps `message` until confirmed, within the bounds of its kind (this run, other runs).
    private mutating func hold(_ message: Held, actions: inout [Action]) {
        held.insert(message)
        let ofThisRun = held.totals(of: followedRuns)
        if isSameRun(message) {
            if ofThisRun.count > Self.maxHeld || ofThisRun.values > Self.maxHeldValues {
                trim(sameRun: true, to: Self.maxHeld, actions: &actions)
            }
        } else if held.count - ofThisRun.count > Self.maxHeldOfOtherRuns || held.values - ofThisRun.values > Self.maxHeldValues {
            trim(sameRun: false, to: Self.maxHeldOfOtherRuns, actions: &actions)
        }
    }

    /// Refuses held messages of one kind down to three quarters of its bound (so that a flood
    /// trims now and then, not at every message): those that belong to no chain and are not
    /// next first, the highest numbers first.
    private mutating func trim(sameRun: Bool, to bound: Int, actions: inout [Action]) {
        let kind = held.messages.filter { isSameRun($0) == sameRun }
        func keep(_ message: Held) -> Bool { held.isLinked(message) || (isSameRun(message) && message.first == expected) }
        let ranked = kind.sorted { lhs, rhs in
            let (left, right) = (keep(lhs), keep(rhs))
            return left != right ? left : lhs.first < rhs.first
        }
        var count = ranked.count
        var values = ranked.reduce(0) { $0 + $1.values }
        for message in ranked.reversed() where count > bound * 3 / 4 || (values > Self.maxHeldValues * 3 / 4 && count > 1) {
            held.remove(message.key)
            count -= 1
            values -= message.values
            actions.append(.rejected(.tooManyHeld(first: message.first)))
        }
    }

    /// Takes every held message the edge's story now bears out, in order.
    private mutating func settle(_ actions: inout [Action], nowMicros: Int64, steadyMicros: Int64) {
        var delivered = false
        while var key = confirmedKey(steadyMicros), let confirmed = held[key] {
            // Held messages that lead up to the confirmed one, in number and in time, are the
            // edge's too: it sends in order. They go first.
            if isSameRun(confirmed), let expected, confirmed.first > expected {
                if let earlier = held.messages.filter({
                    isSameRun($0) && $0.first >= expected && $0.end <= confirmed.first
                        && $0.firstTime >= (lastTime ?? .min) && $0.lastTime <= confirmed.firstTime
                }).min(by: { $0.first < $1.first }) {
                    key = earlier.key
                }
            } else if isSameRun(confirmed), expected == nil {
                key = leadingUp(to: confirmed).key
            }
            guard let message = held.remove(key) else { break }
            if let run = message.stream, run != stream {
                let earlier = earlierRuns.last { $0.stream == run }
                if stream != nil { actions.append(.newRun(stream: run)) }
                startRun(run, steadyMicros: steadyMicros)
                expected = earlier?.end
            }
            if let expected, message.first > expected {
                actions.append(.missed(count: message.first - expected, from: expected))
            } else if let expected, message.first < expected {
                actions.append(.resynced(from: expected, to: message.first))
            }
            lastAdvanceMicros = steadyMicros
            deliver(message, actions: &actions, nowMicros: nowMicros, steadyMicros: steadyMicros)
            delivered = true
        }
        // Behind the stream now, and no newer in time: they can never be next.
        guard delivered, let expected, let lastTime else { return }
        for message in held.messages where isSameRun(message) && message.first < expected && message.lastTime <= lastTime {
            held.remove(message.key)
            actions.append(.rejected(.behind(first: message.first, expected: expected)))
        }
    }

    /// The earliest held message of the followed run from which held messages continue each
    /// other, in number and time, up to `message` (itself when none leads to it).
    private func leadingUp(to message: Held) -> Held {
        var current = message
        while let previous = held.ending(at: current.key), isSameRun(previous), previous.lastTime <= current.firstTime {
            current = previous  // numbers strictly fall: the walk ends
        }
        return current
    }

    /// A held message that is next, or that the edge confirmed: the run's status says the
    /// stream stands at its start or end; the run before goes on where it stopped, with a
    /// message continuing it; or, once the stream has stalled, another held one continues it.
    private func confirmedKey(_ steady: Int64) -> Key? {
        let runs = followedRuns
        if let expected, let key = runs.map({ Key($0, expected) }).first(where: { held[$0] != nil }) { return key }
        if let statusSeq {
            for run in runs {
                if let message = held[Key(run, statusSeq)] ?? held.ending(at: Key(run, statusSeq)),
                   expected.map({ message.first > $0 }) ?? true {
                    return message.key
                }
            }
        }
        for earlier in earlierRuns where earlier.stream != stream {
            // A run announced since sent nothing, or the run before goes on exactly where it
            // stopped with two messages: the announcement was not the edge's.
            if let end = earlier.end, let message = held[Key(earlier.stream, end)],
               expected == nil || held.chained.contains(message.key) {
                return message.key
            }
        }
        guard !held.chained.isEmpty else { return nil }
        let stalled = hasStalled(steady)
        let runStalled = hasStalled(steady, atLeast: Self.runChangeStallMicros)
        guard stalled || runStalled else { return nil }
        return held.chained.filter { isSameRun($0.stream) ? stalled : runStalled }.min { $0.number < $1.number }
    }

    private mutating func deliver(_ message: Held, actions: inout [Action], nowMicros: Int64, steadyMicros: Int64) {
        expected = message.end
        lastTime = max(lastTime ?? .min, min(message.lastTime, nowMicros))
        recentDeliveries.removeAll { steadyMicros.subtractingSaturating($0.micros) > Self.resyncWindowMicros }
        if recentDeliveries.count >= 256 { recentDeliveries.removeFirst() }
        recentDeliveries.append((steadyMicros, message.first))
        actions.append(.publish(message.rows.map {
            var sample = Sample(timeMicros: $0.timeMicros, values: $0.values, layout: layout(for: $0.values.count))
            sample.linesLostBefore = $0.linesLostBefore
            return sample
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
