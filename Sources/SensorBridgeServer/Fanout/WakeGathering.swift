/// When a loop's wake-up serves its clients: at once after a quiet spell, else after gathering.
/// Gathering makes one write per client for several samples when they come fast (1 kHz: one
/// per eight); when they come slower than that (50 Hz: 20 ms apart), it gathers nothing and
/// only costs the loop a second wake-up per sample (its timer after the one that set it) and
/// the clients the delay (8 ms by default). So a wake-up that comes longer than two gathering delays after the one
/// before is served at once; one sooner gathers.
enum WakeGathering {
    /// How long a wake-up at `nowMicros` waits before serving (µs, 0: at once), given when the
    /// wake-up before it came (`previousMicros`, nil for the first).
    static func delayMicros(nowMicros: Int64, previousMicros: Int64?, gatherMicros: Int64) -> Int64 {
        guard let previousMicros else { return 0 }
        // A clock that went back (it is monotonic, but the value may come from another thread's
        // reading) counts as recent: gathering is the safe side.
        let since = nowMicros &- previousMicros
        return since >= 0 && since > 2 * gatherMicros ? 0 : gatherMicros
    }
}
