/// Which of many like events get a log line: at most `linesPerWindow` in each window of
/// `windowMicros`; the rest are counted and reported as one number, so no input rate, however
/// hostile, makes the log grow faster than a few lines a second. Pure: the clock is given.
public struct LogBudget: Sendable {
    public let linesPerWindow: Int
    public let windowMicros: Int64
    private var windowStart: Int64?
    private var shown = 0
    private var hidden = 0

    public init(linesPerWindow: Int, windowMicros: Int64 = 1_000_000) {
        precondition(linesPerWindow > 0 && windowMicros > 0)
        self.linesPerWindow = linesPerWindow
        self.windowMicros = windowMicros
    }

    /// Whether this event gets its line, and how many events of windows now over were not
    /// shown (to report first; 0 when none).
    public mutating func admit(nowMicros: Int64) -> (show: Bool, notShown: Int) {
        let notShown = startWindowIfOver(nowMicros)
        guard shown < linesPerWindow else {
            hidden += 1
            return (false, notShown)
        }
        shown += 1
        return (true, notShown)
    }

    /// Called now and then with no event: the events a window now over did not show (0 when
    /// none), so a flood that stopped is still reported.
    public mutating func flush(nowMicros: Int64) -> Int {
        guard let windowStart, nowMicros.subtractingSaturating(windowStart) >= windowMicros else { return 0 }
        return startWindowIfOver(nowMicros)
    }

    private mutating func startWindowIfOver(_ now: Int64) -> Int {
        if let windowStart, now.subtractingSaturating(windowStart) < windowMicros, now >= windowStart { return 0 }
        let notShown = hidden
        windowStart = now
        shown = 0
        hidden = 0
        return notShown
    }
}
