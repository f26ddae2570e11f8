/// Sensor values and their means are mostly short decimals (`512.4`, `3.25`): printed here
/// from integers, they cost a fraction of Swift's general shortest round-trip conversion,
/// which a history answer of 2000 buckets × 9 numbers would otherwise run 18 000 times.
/// The text is the same as `Double.description` gives (tests compare them).
enum ShortDecimal {
    private static let powers: [Double] = [1, 10, 100, 1_000, 10_000, 100_000, 1_000_000]
    private static let integerPowers: [UInt64] = [1, 10, 100, 1_000, 10_000, 100_000, 1_000_000]

    /// Appends `value` as digits with at most 6 after the point when such a decimal reads
    /// back as exactly `value`; false (nothing appended) otherwise. With the fewest digits
    /// that read back, this is the shortest round-trip text, as `description` writes it.
    static func append(_ value: Double, to out: inout [UInt8]) -> Bool {
        let magnitude = value.magnitude
        // Below 0.001 `description` may switch to exponents; above 1e9 × 10⁶ nears 2⁵³.
        guard magnitude >= 0.001, magnitude < 1e9 else { return false }
        for k in 1...6 {
            let scaled = (magnitude * powers[k]).rounded()
            // Both exact (scaled < 2⁵³, 10^k), so the division is the double nearest the decimal.
            guard scaled / powers[k] == magnitude else { continue }
            let digits = UInt64(scaled)
            if value < 0 { out.append(UInt8(ascii: "-")) }
            JSONText.appendInteger(digits / integerPowers[k], to: &out)
            out.append(UInt8(ascii: "."))
            var fraction = digits % integerPowers[k]
            withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 6) { buffer in
                for i in stride(from: k - 1, through: 0, by: -1) {
                    buffer[i] = UInt8(ascii: "0") + UInt8(fraction % 10)
                    fraction /= 10
                }
                out.append(contentsOf: UnsafeBufferPointer(rebasing: buffer[0..<k]))
            }
            return true
        }
        return false
    }
}
