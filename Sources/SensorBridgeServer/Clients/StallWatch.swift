/// Decides when a graph client has been stuck long enough to be dropped: it is stuck while
/// it has not caught up with the ring (its socket is full, or it reads slower than samples
/// come), and free again the moment it catches up. A client stuck for longer than the
/// timeout holds memory and a descriptor for samples it will never see in time.
struct StallWatch: Equatable {
    let timeoutMicros: Int64
    private(set) var behindSinceMicros: Int64?

    init(timeoutMicros: Int64) { self.timeoutMicros = timeoutMicros }

    /// The clock is read only when a stall begins, not on every pump of a client keeping up.
    mutating func observe(caughtUp: Bool, nowMicros: @autoclosure () -> Int64) {
        if caughtUp {
            behindSinceMicros = nil
        } else if behindSinceMicros == nil {
            behindSinceMicros = nowMicros()
        }
    }

    func isOverdue(nowMicros: Int64) -> Bool {
        guard let since = behindSinceMicros else { return false }
        return nowMicros - since > timeoutMicros
    }
}
