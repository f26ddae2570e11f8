/// Sensor values and their means are decimals (`512.4`, `3.25`, `512.0333333333333`):
/// printed here from integers, they cost a fraction of Swift's general shortest round-trip
/// conversion and its string, which a history answer of 2000 buckets × 9 numbers would
/// otherwise pay 18 000 times. The text is the same as `Double.description` gives (tests
/// compare them).
enum ShortDecimal {
    /// 10^k, all exact as doubles (5^19 < 2⁵³) and as UInt64.
    private static let powers: [Double] = (0...19).map { k in (0..<k).reduce(1.0) { a, _ in a * 10 } }
    private static let integerPowers: [UInt64] = (0...19).map { k in (0..<k).reduce(1) { a, _ in a * 10 } }
    /// Integers up to 2⁵³ are exact as doubles.
    private static let exactLimit = 9_007_199_254_740_992.0
    /// 17 significant digits: every double's shortest text has at most that many.
    private static let digitsLimit = 1e17

    /// The decimal with `k` digits after the point nearest to `magnitude` (× 10^k, as an
    /// integer), when it reads back as exactly `magnitude`; nil otherwise. The product's
    /// rounding error is taken from a fused multiply-add, so near-ties pick the nearer side.
    @inline(__always) private static func digits(_ magnitude: Double, _ k: Int) -> UInt64? {
        let p = powers[k]
        let product = magnitude * p
        guard product < exactLimit else { return manyDigits(magnitude, k, product) }
        var whole = Int64(product)  // truncated: 0 ≤ product < 2⁵³
        let error = (-product).addingProduct(magnitude, p)  // magnitude × p − product, exactly
        if (product - Double(whole)) + error >= 0.5 { whole += 1 }  // half away from zero
        // Both exact (whole < 2⁵³, 10^k), so the quotient is the double nearest the decimal.
        guard Double(whole) / p == magnitude else { return nil }
        return UInt64(whole)
    }

    /// The same where the digits make an integer of 2⁵³ up to 10¹⁷ (16 or 17 significant
    /// digits, as many means need), which a double cannot hold: the decimal reads back as
    /// `magnitude` when it lies within half a step of it either side, both sides measured in
    /// units of 10^-k (a power of two times 10^k: exact).
    private static func manyDigits(_ magnitude: Double, _ k: Int, _ product: Double) -> UInt64? {
        guard product < digitsLimit else { return nil }
        let p = powers[k]
        let error = (-product).addingProduct(magnitude, p)  // magnitude × p − product, exactly
        let base = Int64(product)  // product ≥ 2⁵³ is a whole number
        let whole = base + Int64(error.rounded())
        let offset = Double(whole - base) - error  // whole − magnitude × p
        let above = (magnitude.nextUp - magnitude) * 0.5 * p
        let below = (magnitude - magnitude.nextDown) * 0.5 * p
        let even = magnitude.significandBitPattern & 1 == 0  // a tie reads back to the even one
        let fits = offset >= 0 ? (offset < above || (even && offset == above)) : (-offset < below || (even && -offset == below))
        return fits ? UInt64(whole) : nil
    }

    /// Writes `value` at `out` as the decimal with the fewest digits after the point that
    /// reads back as exactly `value`, returning the end; nil (nothing written) when that needs
    /// more than 17 significant digits or the value is outside 0.001 ..< 1e9. Fewest digits,
    /// nearest first: the shortest round-trip text, as `description` writes it. At most 20 bytes.
    @inline(__always)
    static func write(_ value: Double, to out: UnsafeMutablePointer<UInt8>) -> UnsafeMutablePointer<UInt8>? {
        let magnitude = value.magnitude
        // Below 0.001 `description` may switch to exponents; from 1e9 on it may need 17 digits.
        guard magnitude >= 0.001, magnitude < 1e9 else { return nil }
        var found: (k: Int, digits: UInt64)
        // Readings have a decimal or two: tried first. Means need many: the fewest found
        // from 17 down (two single steps, then halving), as a decimal that reads back still
        // does with a digit more.
        if let d = digits(magnitude, 1) {
            found = (1, d)
        } else if let d = digits(magnitude, 2) {
            found = (2, d)
        } else {
            // 17 significant digits at this magnitude; none there: nil.
            var high = 19
            while high > 3, magnitude * powers[high] >= digitsLimit { high -= 1 }
            guard let most = digits(magnitude, high) else { return nil }
            found = (high, most)
            var low = 3  // digits(k) is nil below `low`, a number at `high`
            // A mean of a few dozen readings mostly needs all 17 digits or one or two fewer:
            // one digit less at a time, twice, settles most in two tries, where halving
            // takes five.
            for _ in 0..<2 where high > low {
                if let d = digits(magnitude, high - 1) {
                    found = (high - 1, d)
                    high -= 1
                } else {
                    low = high
                }
            }
            while low < high {
                let middle = (low + high) / 2
                if let d = digits(magnitude, middle) {
                    found = (middle, d)
                    high = middle
                } else {
                    low = middle + 1
                }
            }
        }
        let (k, all) = found
        var cursor = out
        if value < 0 {
            cursor[0] = UInt8(ascii: "-")
            cursor += 1
        }
        cursor = NumberWriter.write(all / integerPowers[k], to: cursor)
        cursor[0] = UInt8(ascii: ".")
        return NumberWriter.write(all % integerPowers[k], digits: k, to: cursor + 1)
    }

    /// The same, appended to `out`; false (nothing appended) where `write` gives nil.
    static func append(_ value: Double, to out: inout [UInt8]) -> Bool {
        var written = false
        NumberWriter.append(to: &out) { start in
            guard let end = write(value, to: start) else { return start }
            written = true
            return end
        }
        return written
    }
}
