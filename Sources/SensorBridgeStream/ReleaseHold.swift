import SensorBridgeCore

/// How long a port stays handed over, and whether the reading thread has let go of it yet:
/// the asker's thread records a request, the reading thread closes the port and confirms;
/// the asker returns only after that, so the uploader it runs next finds the port free.
public struct ReleaseHold: Sendable, Equatable {
    /// The longest one request may hold a port; a longer upload renews it.
    public static let longestSeconds = 3_600.0

    /// Monotonic µs at which the hold ends; `.min` when there is none.
    public private(set) var untilMicros: Int64 = .min
    /// Who asked, for the state viewers see.
    public private(set) var holder = ""
    private var requested: UInt64 = 0
    private var confirmed: UInt64 = 0

    public init() {}

    /// Holds the port for `seconds` from now (0…`longestSeconds`; a renewal may shorten it);
    /// returns the ticket to wait on.
    public mutating func request(seconds: Double, by holder: String, nowMicros: Int64) -> UInt64 {
        let bounded = seconds.isFinite ? min(max(seconds, 0), Self.longestSeconds) : 0
        untilMicros = nowMicros.addingSaturating(Int64(bounded * 1_000_000))
        self.holder = holder
        requested &+= 1
        return requested
    }

    /// Ends the hold now.
    public mutating func reclaim() { untilMicros = .min }

    public func isHeld(nowMicros: Int64) -> Bool { nowMicros < untilMicros }

    /// The reading thread has closed the port for every request so far.
    public mutating func confirm() { confirmed = requested }

    public func isConfirmed(_ ticket: UInt64) -> Bool { confirmed >= ticket }

    /// Microseconds left, at least 0.
    public func remainingMicros(nowMicros: Int64) -> Int64 { max(0, untilMicros.subtractingSaturating(nowMicros)) }
}
