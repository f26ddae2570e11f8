/// At most `perSecond` events a second, with a burst of as many: the rate limit of lines
/// sent to a board and of state changes a relay shows. Pure: the clock is given; a clock
/// that steps back refills nothing.
public struct TokenBucket: Sendable {
    public let perSecond: Double
    private var tokens: Double
    private var lastMicros: Int64?

    public init(perSecond: Double) {
        precondition(perSecond > 0)
        self.perSecond = perSecond
        self.tokens = perSecond
    }

    /// Whether an event may happen now; if so, it is counted.
    public mutating func take(nowMicros: Int64) -> Bool {
        if let lastMicros {
            let elapsed = max(0, nowMicros.subtractingSaturating(lastMicros))
            tokens = min(perSecond, tokens + Double(elapsed) / 1e6 * perSecond)
        }
        lastMicros = nowMicros
        guard tokens >= 1 else { return false }
        tokens -= 1
        return true
    }
}
