import SensorBridgeCore

/// Notices a peer that is connected but sends nothing: once the connection has been quiet
/// for `limitMicros`, says so once (the connection stays: a board may simply be idle), and
/// says when bytes come again. Pure: the caller keeps the clock.
struct SilenceWatch: Sendable {
    let limitMicros: Int64
    private var lastHeardMicros: Int64
    private(set) var reported = false

    init(limitMicros: Int64, connectedMicros: Int64) {
        precondition(limitMicros > 0)
        self.limitMicros = limitMicros
        self.lastHeardMicros = connectedMicros
    }

    /// Bytes arrived: true when the silence had been reported, so the source says it reads again.
    mutating func heard(nowMicros: Int64) -> Bool {
        lastHeardMicros = nowMicros
        defer { reported = false }
        return reported
    }

    /// True once per silence, when it has lasted the limit.
    mutating func silenceToReport(nowMicros: Int64) -> Bool {
        guard !reported, nowMicros.subtractingSaturating(lastHeardMicros) >= limitMicros else { return false }
        reported = true
        return true
    }

    /// How long `poll()` may wait before the silence is due to be reported (-1: it has been).
    func pollTimeoutMilliseconds(nowMicros: Int64) -> Int32 {
        guard !reported else { return -1 }
        let remaining = lastHeardMicros.addingSaturating(limitMicros).subtractingSaturating(nowMicros)
        return Int32(clamping: max(0, remaining.addingSaturating(999) / 1000))
    }
}
