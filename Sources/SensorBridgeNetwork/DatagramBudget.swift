import SensorBridgeCore

/// What a UDP source takes in a second, in datagrams and in bytes, each with a burst of a
/// second's worth: anyone who can reach the port can send, and a flood must cost the bridge
/// no more than a fast board would. Datagrams over either limit are dropped (and counted by
/// the source). Pure: the clock is given; a clock that steps back refills nothing.
struct DatagramBudget: Sendable {
    let datagramsPerSecond: Double
    let bytesPerSecond: Double
    private var datagrams: TokenBucket
    private var bytes: Double
    private var lastMicros: Int64?

    init(datagramsPerSecond: Double, bytesPerSecond: Double) {
        precondition(datagramsPerSecond >= 1 && datagramsPerSecond.isFinite)
        precondition(bytesPerSecond >= 1 && bytesPerSecond.isFinite)
        self.datagramsPerSecond = datagramsPerSecond
        self.bytesPerSecond = bytesPerSecond
        datagrams = TokenBucket(perSecond: datagramsPerSecond)
        bytes = bytesPerSecond
    }

    /// Whether a datagram of `byteCount` bytes may be taken now; if so, it is counted
    /// against both limits (a refused one against neither).
    mutating func admit(byteCount: Int, nowMicros: Int64) -> Bool {
        if let lastMicros {
            let elapsed = max(0, nowMicros.subtractingSaturating(lastMicros))
            bytes = min(bytesPerSecond, bytes + Double(elapsed) / 1e6 * bytesPerSecond)
        }
        lastMicros = nowMicros
        guard bytes >= Double(byteCount), datagrams.take(nowMicros: nowMicros) else { return false }
        bytes -= Double(byteCount)
        return true
    }
}
