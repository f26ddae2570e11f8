import SensorBridgeCore
import SensorBridgeStream

/// How often the edge's state (and a relay's notes on it) may change the relay's stream: each
/// change is an event in the history every viewer is sent, so a flood of status messages
/// would push the samples out of the history and drown the viewers. At most `perSecond`
/// changes a second (as a burst too); a change beyond that waits, and only the newest
/// waiting one is applied when its turn comes. A change to what is already shown is none.
/// Pure: the clock is given.
struct StatusPacer {
    typealias Change = (state: SourceStatus.State, detail: String)

    private var bucket: TokenBucket
    private var waiting: Change?

    init(perSecond: Double = 10) {
        bucket = TokenBucket(perSecond: perSecond)
    }

    /// The state of the change waiting its turn, if any: a note about the stream (a gap) keeps
    /// it rather than the state shown now, so the note does not undo a change of state.
    var waitingState: SourceStatus.State? { waiting?.state }

    /// Forgets a waiting change (the link to the broker broke: what the edge said is old).
    mutating func drop() { waiting = nil }

    /// The change to apply now, if any, given the one `offered` and what is `shown`.
    mutating func offer(_ offered: Change, shown: Change, nowMicros: Int64) -> Change? {
        waiting = offered
        return due(shown: shown, nowMicros: nowMicros)
    }

    /// A waiting change whose turn has come (call it now and then), if any.
    mutating func due(shown: Change, nowMicros: Int64) -> Change? {
        guard let change = waiting else { return nil }
        if change.state == shown.state && change.detail == shown.detail {
            waiting = nil
            return nil
        }
        guard bucket.take(nowMicros: nowMicros) else { return nil }
        waiting = nil
        return change
    }
}
