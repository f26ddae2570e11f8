import SensorBridgeCore

/// Which senders a UDP source hears, and when its status should say so: at the first
/// datagram, and when the sender changes, at most once a second. Several senders at once
/// (boards taking turns, or a spoofing flood) are said as "from N senders, newest …", and
/// only a change in how many is news then, not every turn. A sender unheard for 10 s no
/// longer counts; at most 256 are remembered. Pure: the clock is given.
struct SenderWatch: Sendable {
    static let windowMicros: Int64 = 10_000_000
    static let reportIntervalMicros: Int64 = 1_000_000
    static let maxTracked = 256

    /// What a status detail says of the senders; only a change of it is reported.
    private struct Said: Equatable {
        var count: Int
        /// The one sender, when there is one.
        var only: String?
    }

    private var lastHeard: [String: Int64] = [:]
    private var newest: String?
    private var said: Said?
    private var lastReportMicros: Int64?
    private var lastPruneMicros: Int64 = .min

    /// A datagram came from `sender`: the words for the status ("from 192.168.1.5:4210")
    /// if they are to be said now.
    mutating func heard(_ sender: String, nowMicros: Int64) -> String? {
        if lastHeard[sender] != nil || lastHeard.count < Self.maxTracked { lastHeard[sender] = nowMicros }
        newest = sender
        return due(nowMicros: nowMicros)
    }

    /// A change held back by the once-a-second limit, if it is due now.
    mutating func due(nowMicros: Int64) -> String? {
        prune(nowMicros: nowMicros)
        guard let newest, let now = current, now != said else { return nil }
        if let lastReportMicros, nowMicros.subtractingSaturating(lastReportMicros) < Self.reportIntervalMicros, nowMicros >= lastReportMicros {
            return nil
        }
        said = now
        lastReportMicros = nowMicros
        return now.count == 1 ? "from \(newest)" : "from \(now.count) senders, newest \(newest)"
    }

    /// How long `poll()` may wait before a held-back change is due (-1: none is waiting).
    func pollTimeoutMilliseconds(nowMicros: Int64) -> Int32 {
        guard let now = current, now != said, let lastReportMicros else { return -1 }
        let remaining = lastReportMicros.addingSaturating(Self.reportIntervalMicros).subtractingSaturating(nowMicros)
        return Int32(clamping: max(0, remaining.addingSaturating(999) / 1000))
    }

    private var current: Said? {
        guard !lastHeard.isEmpty else { return nil }
        return Said(count: lastHeard.count, only: lastHeard.count == 1 ? newest : nil)
    }

    /// Forgets senders unheard for the window; at most once a second (it walks them all).
    private mutating func prune(nowMicros: Int64) {
        guard nowMicros.subtractingSaturating(lastPruneMicros) >= Self.reportIntervalMicros || nowMicros < lastPruneMicros else { return }
        lastPruneMicros = nowMicros
        lastHeard = lastHeard.filter { nowMicros.subtractingSaturating($0.value) < Self.windowMicros }
    }
}
