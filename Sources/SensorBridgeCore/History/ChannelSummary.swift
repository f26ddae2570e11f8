/// What a stretch of one channel's values comes to: exact count, min, max and sum (the
/// mean is `sum / count`). Merging two gives what one pass over both would.
public struct ChannelSummary: Equatable, Sendable {
    public var count: Int64 = 0
    public var min: Double = .infinity
    public var max: Double = -.infinity
    public var sum: Double = 0

    public init() {}

    public init(count: Int64, min: Double, max: Double, sum: Double) {
        self.count = count
        self.min = min
        self.max = max
        self.sum = sum
    }

    @inline(__always) public mutating func add(_ value: Double) {
        guard !value.isNaN else { return }
        count += 1
        if value < min { min = value }
        if value > max { max = value }
        sum += value
    }

    public mutating func merge(_ other: ChannelSummary) {
        guard other.count > 0 else { return }
        count = count.addingSaturating(other.count)
        if other.min < min { min = other.min }
        if other.max > max { max = other.max }
        sum += other.sum
    }

    public var mean: Double { count > 0 ? sum / Double(count) : .nan }
}
