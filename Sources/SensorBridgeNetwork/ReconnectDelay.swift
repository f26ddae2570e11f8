/// How long a TCP source waits before its next attempt: 0.25 s after the first failure,
/// doubling to 5 s, as for a board that was unplugged; a connection that held for a while
/// starts again from the shortest wait. A peer that accepts and closes at once thus
/// costs at most an attempt every 5 s, not a busy loop. Pure: the caller keeps the clock.
struct ReconnectDelay: Sendable, Equatable {
    static let shortestMicros: Int64 = 250_000
    static let longestMicros: Int64 = 5_000_000
    /// A connection that lasted this long was a real one: the next drop waits the shortest.
    static let heldConnectionMicros: Int64 = 10_000_000

    /// The wait the next failure asks for.
    private(set) var nextMicros = ReconnectDelay.shortestMicros

    /// An attempt failed (or a connection dropped): how long to wait before the next one.
    mutating func failed() -> Int64 {
        let wait = nextMicros
        nextMicros = min(nextMicros * 2, Self.longestMicros)
        return wait
    }

    /// A connection that lasted `heldMicros` ended: waits start again from the shortest if
    /// it held long enough to count as working.
    mutating func connectionEnded(heldMicros: Int64) {
        if heldMicros >= Self.heldConnectionMicros { nextMicros = Self.shortestMicros }
    }
}
