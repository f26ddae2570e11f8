/// When each line of a replay is due: the file's own timing scaled by the speed, round after
/// round of a loop, on one time line from the replay's start, so waits never add up their
/// errors. Pure arithmetic on outside numbers (a recording's times may be absurd): saturating.
public struct ReplayTimeline: Sendable {
    /// 0: as fast as possible (nothing waits).
    public let speed: Double
    /// Where the current round starts on the time line.
    private var roundBase: Int64 = 0
    private var firstOffset: Int64?
    private var lastOffset: Int64 = .min
    /// Lines placed in the current round.
    public private(set) var linesThisRound = 0
    /// A round of a loop takes at least this long: a file of lines timed microseconds apart
    /// would otherwise loop as fast as a core goes.
    static let minRoundMicros: Int64 = 20_000

    public init(speed: Double) { self.speed = speed }

    /// The next line, `offset` µs into the file: when it is due, in µs after the replay's
    /// start; nil when nothing waits (speed 0). A line timed before the one before it plays
    /// right after it.
    public mutating func due(offset: Int64) -> Int64? {
        let first = firstOffset ?? offset
        firstOffset = first
        lastOffset = max(lastOffset, offset)
        linesThisRound += 1
        guard speed > 0 else { return nil }
        let at = roundBase.addingSaturating(lastOffset.subtractingSaturating(first))
        return Int64(saturating: Double(at) / speed)
    }

    /// The file's end: the next round starts one of this round's line intervals after its
    /// last line, and a round takes at least `minRoundMicros` (all a round of one line, or of
    /// lines all timed alike, has to go by).
    public mutating func endRound() {
        let duration = lastOffset.subtractingSaturating(firstOffset ?? 0)
        let lines = linesThisRound
        let lineInterval = lines > 1 && duration > 0 ? max(1, duration / Int64(lines - 1)) : 0
        roundBase = roundBase.addingSaturating(max(duration.addingSaturating(lineInterval), Self.minRoundMicros))
        firstOffset = nil
        lastOffset = .min
        linesThisRound = 0
    }
}
