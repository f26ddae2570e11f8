/// How long to wait before the next connection attempt: doubling from `first` to `maximum`
/// after each failure, back to `first` after a success. The wait is drawn between half and
/// all of the step, so a thousand relays cut off by one broker restart do not all knock
/// again in the same millisecond.
public struct ReconnectBackoff: Sendable, Equatable {
    public let first: Double
    public let maximum: Double
    public private(set) var failures = 0

    public init(first: Double = 0.25, maximum: Double = 8) {
        self.first = first
        self.maximum = maximum
    }

    /// The step after `failures` failures, before the random share.
    public var step: Double {
        min(maximum, first * Double(1 << min(failures, 30)))
    }

    /// Counts a failure and returns the seconds to wait; `random` is in 0...1.
    public mutating func failed(random: Double) -> Double {
        let wait = step * (0.5 + 0.5 * min(max(random, 0), 1))
        failures += 1
        return wait
    }

    public mutating func succeeded() { failures = 0 }
}
