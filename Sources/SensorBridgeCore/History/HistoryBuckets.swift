/// The buckets of a history answer being filled, for a fixed list of channels: from single
/// samples or from whole summary cells, in any order; each bucket keeps the exact count,
/// min, max and sum of what went in, and the first and last sample's time.
public struct HistoryBuckets {
    public let channelCount: Int
    private var index: [Int64: Int] = [:]
    public private(set) var keys: [Int64] = []
    var first: [Int64] = []
    var last: [Int64] = []
    var samples: [Int64] = []
    var count: [Int64] = []
    var low: [Double] = []
    var high: [Double] = []
    var sum: [Double] = []

    public init(channelCount: Int) { self.channelCount = channelCount }

    public var bucketCount: Int { keys.count }
    public var sampleCount: Int64 { samples.reduce(0) { $0.addingSaturating($1) } }

    @inline(__always) private mutating func slot(_ key: Int64) -> Int {
        if let i = index[key] { return i }
        let i = keys.count
        index[key] = i
        keys.append(key)
        first.append(.max); last.append(.min); samples.append(0)
        count.append(contentsOf: repeatElement(0, count: channelCount))
        low.append(contentsOf: repeatElement(.infinity, count: channelCount))
        high.append(contentsOf: repeatElement(-.infinity, count: channelCount))
        sum.append(contentsOf: repeatElement(0, count: channelCount))
        return i
    }

    /// One sample; `values[k]` belongs to channel position `positions[k]` (nil: not asked for).
    public mutating func add(key: Int64, time: Int64, values: [Double], positions: [Int?]) {
        let b = slot(key)
        if time < first[b] { first[b] = time }
        if time > last[b] { last[b] = time }
        samples[b] += 1
        for (k, value) in values.enumerated() where !value.isNaN {
            guard k < positions.count, let p = positions[k] else { continue }
            let i = b * channelCount + p
            count[i] += 1
            if value < low[i] { low[i] = value }
            if value > high[i] { high[i] = value }
            sum[i] += value
        }
    }

    /// A whole cell; `positions` maps the store's channel numbers to positions.
    public mutating func add(key: Int64, cell: SummaryCell, positions: [Int: Int]) {
        guard !cell.isEmpty else { return }
        let b = slot(key)
        first[b] = min(first[b], cell.first)
        last[b] = max(last[b], cell.last)
        samples[b] = samples[b].addingSaturating(cell.samples)
        for (id, s) in cell.channels where s.count > 0 {
            guard let p = positions[id] else { continue }
            let i = b * channelCount + p
            count[i] = count[i].addingSaturating(s.count)
            if s.min < low[i] { low[i] = s.min }
            if s.max > high[i] { high[i] = s.max }
            sum[i] += s.sum
        }
    }

    /// The buckets in time order, as the columns of `/api/history`.
    public func columns() -> HistoryColumns {
        let order = keys.indices.sorted { keys[$0] < keys[$1] || (keys[$0] == keys[$1] && $0 < $1) }
        var out = HistoryColumns(channelCount: channelCount)
        for b in order {
            out.t0.append(first[b])
            out.t1.append(last[b])
            out.n.append(samples[b])
            for c in 0..<channelCount {
                let i = b * channelCount + c
                let has = count[i] > 0
                out.min[c].append(has ? low[i] : .nan)
                out.max[c].append(has ? high[i] : .nan)
                out.mean[c].append(has ? sum[i] / Double(count[i]) : .nan)
            }
        }
        return out
    }
}

/// A history answer's columns: per bucket the first and last sample time (µs) and the
/// sample count; per channel, per bucket, min, max and mean (NaN: no value there).
public struct HistoryColumns: Equatable, Sendable {
    public var t0: [Int64] = []
    public var t1: [Int64] = []
    public var n: [Int64] = []
    public var min: [[Double]]
    public var max: [[Double]]
    public var mean: [[Double]]

    public init(channelCount: Int) {
        min = Array(repeating: [], count: channelCount)
        max = min
        mean = min
    }

    public static func == (a: HistoryColumns, b: HistoryColumns) -> Bool {
        func same(_ x: [[Double]], _ y: [[Double]]) -> Bool {
            x.count == y.count && zip(x, y).allSatisfy { p, q in
                p.count == q.count && zip(p, q).allSatisfy { $0 == $1 || ($0.isNaN && $1.isNaN) }
            }
        }
        return a.t0 == b.t0 && a.t1 == b.t1 && a.n == b.n && same(a.min, b.min) && same(a.max, b.max) && same(a.mean, b.mean)
    }
}
