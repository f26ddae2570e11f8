/// Maps a board's own clock (`millis()` or `micros()` printed in each line) onto wall time,
/// so sample times keep the board's spacing even when USB delivers lines in bursts.
///
/// Each line's delay, arrival minus board time, is at least the true offset between the two
/// clocks; the smallest delay of the last 2 s of board time is the estimate of it. While that
/// holds still, samples keep exactly the board's spacing; a board's crystal that drifts (a
/// Uno's ceramic resonator by up to 0.5 %) moves the smallest delay with it, and the
/// estimate follows. A mapped time is never later than the line's arrival, and never
/// earlier than the sample before it.
///
/// `micros()` wraps at 2^32 µs (71.6 minutes), `millis()` at 2^32 ms (49.7 days): a time
/// that falls from the top half to the bottom quarter of that range is a wrap. Any other fall
/// is the board starting again: a new segment, anchored afresh. A line without a plausible
/// reading (NaN, negative, beyond 2^53) goes with the sample before it.
public struct BoardClock: Sendable, Equatable {
    public enum Unit: String, Sendable, CaseIterable {
        case milliseconds = "ms"
        case microseconds = "us"

        var micros: Int64 { self == .milliseconds ? 1_000 : 1 }
    }

    public let unit: Unit
    /// Board time, µs, of the last reading, before wraps were added.
    private var lastReading: Int64?
    /// What the wraps so far add to a reading, µs.
    private var wraps: Int64 = 0
    /// The delays (wall time minus board time, µs) that may yet be the smallest of the window,
    /// oldest first and each smaller than the next (from `head` on): the front is the estimate.
    private var candidates: [Delay] = []
    private var head = 0
    private var lastMapped: Int64 = .min
    /// Times the board's clock started again (a reset).
    public private(set) var segments = 0

    private struct Delay: Sendable, Equatable {
        var board: Int64
        var delay: Int64
    }

    /// The board time over which the smallest delay is taken.
    static let windowMicros: Int64 = 2_000_000
    /// Candidates kept at most (a clock that stands still would otherwise add one a line).
    static let maxCandidates = 4_096
    /// Readings above this are not a counter a board keeps (nor exact in a Double).
    static let largestReading = 9_007_199_254_740_992.0  // 2^53

    public init(unit: Unit) { self.unit = unit }

    /// The wall time, µs since the epoch, of a line read at `arrivalMicros` that says the
    /// board's clock read `reading` (in `unit`).
    public mutating func map(_ reading: Double, arrivalMicros: Int64) -> Int64 {
        // A line without a reading goes with the sample before it (at arrival when it is the
        // first): timing it at arrival would drag the board's later samples with it.
        guard reading.isFinite, reading >= 0, reading < Self.largestReading else {
            return lastMapped == .min ? settle(arrivalMicros) : lastMapped
        }
        let micros = Int64((reading * Double(unit.micros)).rounded())  // < 2^53 · 1000 < Int64.max
        if let last = lastReading, micros < last {
            let range = Int64(1 << 32).multipliedSaturating(by: unit.micros)
            if last >= range / 2, last < range, micros < range / 4 {
                wraps = wraps.addingSaturating(range)
            } else {
                // The board started again: its new readings say nothing of the old offset.
                wraps = 0
                candidates.removeAll()
                head = 0
                segments += 1
            }
        }
        lastReading = micros
        let board = micros.addingSaturating(wraps)
        let delay = arrivalMicros.subtractingSaturating(board)
        while candidates.count > head, candidates[candidates.count - 1].delay >= delay { candidates.removeLast() }
        candidates.append(Delay(board: board, delay: delay))
        let oldest = board.subtractingSaturating(Self.windowMicros)
        while candidates[head].board < oldest || candidates.count - head > Self.maxCandidates { head += 1 }
        if head >= 1_024, head * 2 >= candidates.count {
            candidates.removeFirst(head)
            head = 0
        }
        return settle(board.addingSaturating(candidates[head].delay))
    }

    /// The port reopened: the board may have started again, so its next reading anchors a
    /// new estimate (a new segment) whatever it says.
    public mutating func restart() {
        lastReading = nil
        wraps = 0
        candidates.removeAll()
        head = 0
    }

    /// Never before the sample before.
    private mutating func settle(_ micros: Int64) -> Int64 {
        lastMapped = max(lastMapped, micros)
        return lastMapped
    }
}

extension BoardClock.Unit {
    /// The unit a column of this name counts in, when its name says it is the board's clock:
    /// `t`, `time`, `ms`, `millis` (milliseconds) or `us`, `micros` (microseconds).
    public static func implied(byName name: String) -> BoardClock.Unit? {
        switch name {
        case "t", "time", "ms", "millis": .milliseconds
        case "us", "micros": .microseconds
        default: nil
        }
    }
}
