/// Arithmetic on numbers that came from outside (a broker, a client, a file, the command
/// line): Swift traps on overflow, so a sum or a conversion of such a number either saturates
/// at the type's bounds or is refused, and never stops the bridge.
extension FixedWidthInteger {
    /// `self + other`, or the type's bound when the true sum does not fit.
    @inlinable
    public func addingSaturating(_ other: Self) -> Self {
        let (sum, overflow) = addingReportingOverflow(other)
        guard overflow else { return sum }
        return other < 0 ? .min : .max
    }

    /// `self - other`, or the type's bound when the true difference does not fit.
    @inlinable
    public func subtractingSaturating(_ other: Self) -> Self {
        let (difference, overflow) = subtractingReportingOverflow(other)
        guard overflow else { return difference }
        return other < 0 ? .max : .min
    }

    /// `self * other`, or the type's bound when the true product does not fit.
    @inlinable
    public func multipliedSaturating(by other: Self) -> Self {
        let (product, overflow) = multipliedReportingOverflow(by: other)
        guard overflow else { return product }
        return (self < 0) != (other < 0) ? .min : .max
    }

    /// `self + other`, or nil when the true sum does not fit.
    @inlinable
    public func addingChecked(_ other: Self) -> Self? {
        let (sum, overflow) = addingReportingOverflow(other)
        return overflow ? nil : sum
    }
}

extension Int64 {
    /// The nearest `Int64` to `value` (rounded toward zero), the bounds beyond them, and 0 for
    /// NaN: `Int64(someDouble)` traps on all three.
    @inlinable
    public init(saturating value: Double) {
        if value.isNaN {
            self = 0
        } else if value >= 9.2e18 {
            self = .max
        } else if value <= -9.2e18 {
            self = .min
        } else {
            self = Int64(value)
        }
    }
}
