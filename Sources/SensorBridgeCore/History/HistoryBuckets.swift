/// The buckets of a history answer being filled, for a fixed list of channels: from single
/// samples or from whole summary cells, in any order; each bucket keeps the exact count,
/// min, max and sum of what went in, and the first and last sample's time.
public struct HistoryBuckets: Sendable {
    public let channelCount: Int

    /// Where a query's buckets lie: keys `origin + k × width` for k in 0..<count. Their slots
    /// are laid out in advance and found by arithmetic, already in time order; any other key
    /// (a bucket cut short where times saturate, or no lattice given) is hashed.
    public struct Lattice: Equatable, Sendable {
        public var origin: Int64
        public var width: Int64
        public var count: Int

        public init(origin: Int64, width: Int64, count: Int) {
            self.origin = origin
            self.width = width
            self.count = count
        }

        /// The lattice of `width`-wide buckets from the one holding `from` through the one
        /// holding `to` (`bucketStart` keys), or nil when it would hold more than `limit`.
        public static func covering(from: Int64, to: Int64, width: Int64, origin: Int64 = 0, limit: Int) -> Lattice? {
            guard width > 0, from <= to else { return nil }
            let first = HistoryPlan.bucketStart(from.subtractingSaturating(origin), width: width)
            let last = HistoryPlan.bucketStart(to.subtractingSaturating(origin), width: width)
            let (span, overflow) = last.subtractingReportingOverflow(first)
            guard !overflow, span / width < Int64(limit) else { return nil }
            return Lattice(origin: first, width: width, count: Int(span / width) + 1)
        }

        /// The slot of `key`, or nil when it is not on the lattice.
        @inline(__always) func slot(of key: Int64) -> Int? {
            let (offset, overflow) = key.subtractingReportingOverflow(origin)
            guard !overflow, offset >= 0, offset % width == 0 else { return nil }
            let k = offset / width
            return k < Int64(count) ? Int(k) : nil
        }
    }

    private let lattice: Lattice?
    /// Slots of keys off the lattice (after the lattice's own).
    private var index: [Int64: Int] = [:]
    /// The key of each slot; `used[slot]` once something went in.
    private var keys: [Int64] = []
    private var used: [Bool] = []
    var first: [Int64] = []
    var last: [Int64] = []
    var samples: [Int64] = []
    var count: [Int64] = []
    var low: [Double] = []
    var high: [Double] = []
    var sum: [Double] = []

    /// (store channel number, position) of the channels asked for: a query's few channels
    /// are found faster in a short list than by hashing, once per cell.
    private var positionList: [(id: Int, position: Int)] = []

    public init(channelCount: Int, lattice: Lattice? = nil) {
        self.channelCount = channelCount
        self.lattice = lattice
        guard let lattice, lattice.count > 0 else { return }
        let n = lattice.count
        keys = (0..<n).map { lattice.origin &+ Int64($0) &* lattice.width }
        used = Array(repeating: false, count: n)
        first = Array(repeating: .max, count: n)
        last = Array(repeating: .min, count: n)
        samples = Array(repeating: 0, count: n)
        count = Array(repeating: 0, count: n * channelCount)
        low = Array(repeating: .infinity, count: n * channelCount)
        high = Array(repeating: -.infinity, count: n * channelCount)
        sum = Array(repeating: 0, count: n * channelCount)
    }

    /// Buckets for the channels `positions` maps (store channel number → position), which
    /// `add(key:encodedCell:)` uses.
    public init(channelCount: Int, positions: [Int: Int], lattice: Lattice? = nil) {
        self.init(channelCount: channelCount, lattice: lattice)
        positionList = positions.map { ($0.key, $0.value) }.sorted { $0.id < $1.id }
    }

    public var bucketCount: Int { used.reduce(0) { $0 + ($1 ? 1 : 0) } }
    public var sampleCount: Int64 { samples.reduce(0) { $0.addingSaturating($1) } }

    /// The bucket last added to: samples come in time order, mostly into the same bucket.
    private var lastSlot: (key: Int64, slot: Int) = (.min, -1)

    /// The bucket of `key`, made when it is the first thing to go there.
    @inline(__always) mutating func slot(_ key: Int64) -> Int {
        if lastSlot.key == key, lastSlot.slot >= 0 { return lastSlot.slot }
        let i = lattice?.slot(of: key) ?? offLattice(key)
        used[i] = true
        lastSlot = (key, i)
        return i
    }

    private mutating func offLattice(_ key: Int64) -> Int {
        if let i = index[key] { return i }
        let i = keys.count
        index[key] = i
        keys.append(key)
        used.append(false)
        first.append(.max); last.append(.min); samples.append(0)
        count.append(contentsOf: repeatElement(0, count: channelCount))
        low.append(contentsOf: repeatElement(.infinity, count: channelCount))
        high.append(contentsOf: repeatElement(-.infinity, count: channelCount))
        sum.append(contentsOf: repeatElement(0, count: channelCount))
        return i
    }

    /// Folds a first and last time and a sample count into bucket `b`.
    @inline(__always) mutating func absorb(bucket b: Int, first time0: Int64, last time1: Int64, samples n: Int64) {
        if time0 < first[b] { first[b] = time0 }
        if time1 > last[b] { last[b] = time1 }
        samples[b] = samples[b].addingSaturating(n)
    }

    /// Folds a channel's count, min, max and sum into bucket `b` at channel position `p`.
    @inline(__always) mutating func absorb(bucket b: Int, position p: Int, count n: Int64, min: Double, max: Double, sum total: Double) {
        let i = b * channelCount + p
        count[i] = count[i].addingSaturating(n)
        if min < low[i] { low[i] = min }
        if max > high[i] { high[i] = max }
        sum[i] += total
    }

    /// A whole cell as stored under `start` (`SummaryCell.encoded(start:)`), read in place;
    /// channels are placed by the positions given to `init(channelCount:positions:)`.
    public mutating func add(key: Int64, encodedCell bytes: UnsafeRawBufferPointer, start: Int64) throws {
        var cell = try EncodedSummaryCell(bytes, start: start)
        guard cell.samples > 0 else {
            while try cell.nextChannel() != nil {}  // still checked, as decoding would
            return
        }
        let b = slot(key)
        absorb(bucket: b, first: cell.first, last: cell.last, samples: cell.samples)
        while let (id, s) = try cell.nextChannel().map({ ($0.id, $0.summary) }) {
            guard s.count > 0, let p = positionList.first(where: { $0.id == id })?.position else { continue }
            absorb(bucket: b, position: p, count: s.count, min: s.min, max: s.max, sum: s.sum)
        }
    }

    /// Which bucket a sample goes to.
    public enum SampleKey {
        /// `HistoryPlan.bucketStart(time - origin, width)`.
        case width(Int64, origin: Int64)
        /// One bucket each, numbered from `next` on (`next` ends past the last one used).
        case ordinal(next: Int64)
        /// All into one bucket.
        case fixed(Int64)
    }

    /// The samples of `block` in [from, to), each into the bucket `key` says; `slots[k]` is
    /// the position of the block's column k (nil: not asked for). A query of a minute at
    /// 1 kHz adds 60 000 of them, so no array per sample and no closure per sample: first
    /// the runs of samples that share a bucket, then each column over those runs.
    public mutating func add(block: SampleBlock, from: Int64, to: Int64, slots: [Int?], key: inout SampleKey) {
        let times = block.times
        var runs: [(bucket: Int, start: Int, end: Int)] = []
        runs.reserveCapacity(Swift.min(times.count, 1024))
        var i = 0
        while i < times.count {
            let time = times[i]
            guard time >= from, time < to else {
                i += 1
                continue
            }
            let k: Int64
            switch key {
            case .width(let width, let origin): k = HistoryPlan.bucketStart(time.subtractingSaturating(origin), width: width)
            case .ordinal(let next):
                k = next
                key = .ordinal(next: next + 1)
            case .fixed(let fixed): k = fixed
            }
            let b = slot(k)
            // The run goes on while times keep in order and stay in the bucket: up to the
            // bucket's last time, found once a run (not a division a sample). The next bucket
            // starts where `bucketStart` says (a bucket cut short at Int64.min ends early);
            // where the last time does not fit an Int64, runs are single samples: a run may
            // end early (the next one finds the same bucket), never late.
            var lastTime: Int64
            switch key {
            case .width(let width, let origin):
                let next = HistoryPlan.bucketStart(k.addingSaturating(width), width: width)
                let (bucketLast, overflow) = origin.addingReportingOverflow(next &- 1)
                lastTime = overflow || next <= k ? .min : bucketLast
            case .fixed: lastTime = .max
            case .ordinal: lastTime = .min
            }
            lastTime = Swift.min(lastTime, to - 1)  // to > time here, so to − 1 cannot overflow
            // Times in order and in range: while each is within [its predecessor, lastTime].
            // (from ≤ time here, so a time at or after its predecessor is at or after from.)
            var end = i + 1
            times.withUnsafeBufferPointer { t in
                var previous = t[i]
                while end < t.count {
                    let next = t[end]
                    guard next <= lastTime, next >= previous else { break }
                    previous = next
                    end += 1
                }
            }
            // Times of a run are in order: its first and last are its ends.
            absorb(bucket: b, first: time, last: times[end - 1], samples: Int64(end - i))
            runs.append((b, i, end))
            i = end
        }
        guard !runs.isEmpty, channelCount > 0 else { return }
        let channels = channelCount
        withChannelStorage { counts, lows, highs, sums in
            for (k, position) in slots.enumerated() {
                // A column as long as the times (as every decoded block's is, but for the
                // columns a query left out, which are empty and skipped), read unchecked.
                guard let position, k < block.columns.count, position >= 0, position < channels, block.columns[k].count == times.count else { continue }
                block.columns[k].withUnsafeBufferPointer { column in
                    guard let values = column.baseAddress else { return }
                    for run in runs {
                        var (n, low, high, total) = HistoryBuckets.summary(values, run.start, run.end)
                        if total.isNaN {
                            // A value missing (NaN), infinities of both signs, zeros of both:
                            // counted one by one. NaN fails both comparisons; only its count
                            // and sum need a check.
                            (n, low, high, total) = (0, .infinity, -.infinity, 0)
                            for j in run.start..<run.end {
                                let value = values[j]
                                if value < low { low = value }
                                if value > high { high = value }
                                if !value.isNaN {
                                    n += 1
                                    total += value
                                }
                            }
                        }
                        guard n > 0 else { continue }
                        let i = run.bucket * channels + position
                        counts[i] = counts[i].addingSaturating(Int64(n))
                        if low < lows[i] { lows[i] = low }
                        if high > highs[i] { highs[i] = high }
                        sums[i] += total
                    }
                }
            }
        }
    }

    /// Each channel's counts, lows, highs and sums (bucket × channel) as pointers, for a loop
    /// that folds thousands of runs: through the arrays, each write checks the array is not
    /// shared, a call a write. No slot may be made meanwhile; there is at least one, and a
    /// channel.
    private mutating func withChannelStorage(_ body: (UnsafeMutablePointer<Int64>, UnsafeMutablePointer<Double>,
                                                      UnsafeMutablePointer<Double>, UnsafeMutablePointer<Double>) -> Void) {
        count.withUnsafeMutableBufferPointer { counts in
            low.withUnsafeMutableBufferPointer { lows in
                high.withUnsafeMutableBufferPointer { highs in
                    sum.withUnsafeMutableBufferPointer { sums in
                        body(counts.baseAddress!, lows.baseAddress!, highs.baseAddress!, sums.baseAddress!)
                    }
                }
            }
        }
    }

    /// Count, min, max and sum of `values[start..<end]`, supposing none is missing: the sum
    /// is NaN when one is, and when the lanes' min or max are zeros of both signs (which one
    /// the run met first decides): the caller then counts again, one by one. Two lanes,
    /// even and odd samples: each addition waits for the one before, so one sum would set
    /// the pace.
    @inline(__always)
    static func summary(_ values: UnsafePointer<Double>, _ start: Int, _ end: Int) -> (Int, Double, Double, Double) {
        var low0 = Double.infinity, low1 = Double.infinity, high0 = -Double.infinity, high1 = -Double.infinity
        var sum0 = 0.0, sum1 = 0.0
        var j = start
        while j &+ 1 < end {
            let a = values[j], b = values[j &+ 1]
            low0 = a < low0 ? a : low0
            low1 = b < low1 ? b : low1
            high0 = a > high0 ? a : high0
            high1 = b > high1 ? b : high1
            sum0 += a
            sum1 += b
            j &+= 2
        }
        if j < end {
            let a = values[j]
            low0 = a < low0 ? a : low0
            high0 = a > high0 ? a : high0
            sum0 += a
        }
        let signedZeros = (low0 == low1 && low0.sign != low1.sign) || (high0 == high1 && high0.sign != high1.sign)
        return (end &- start, Swift.min(low0, low1), Swift.max(high0, high1), signedZeros ? .nan : sum0 + sum1)
    }

    /// Adds what `other` (buckets of the same channels) holds, bucket by bucket: a query's
    /// halves filled on two threads become one answer.
    public mutating func merge(_ other: HistoryBuckets) {
        precondition(other.channelCount == channelCount, "buckets of other channels")
        if let lattice, lattice.count > 0, lattice == other.lattice, index.isEmpty, other.index.isEmpty {
            mergeOnLattice(other, slots: lattice.count)
            return
        }
        for s in other.used.indices where other.used[s] {
            let b = slot(other.keys[s])
            absorb(bucket: b, first: other.first[s], last: other.last[s], samples: other.samples[s])
            for c in 0..<channelCount {
                let j = s * channelCount + c
                guard other.count[j] > 0 else { continue }
                absorb(bucket: b, position: c, count: other.count[j], min: other.low[j], max: other.high[j], sum: other.sum[j])
            }
        }
    }

    /// `merge` where both lay out the same lattice and nothing lies off it (a query's two
    /// threads): slot by slot, array by array, with no key to look up. A minute's query
    /// merges 2000 buckets × 3 channels after its threads are done, on one thread.
    private mutating func mergeOnLattice(_ other: HistoryBuckets, slots n: Int) {
        for s in 0..<n where other.used[s] {
            used[s] = true
            absorb(bucket: s, first: other.first[s], last: other.last[s], samples: other.samples[s])
        }
        for j in 0..<(n * channelCount) where other.count[j] > 0 {
            count[j] = count[j].addingSaturating(other.count[j])
            if other.low[j] < low[j] { low[j] = other.low[j] }
            if other.high[j] > high[j] { high[j] = other.high[j] }
            sum[j] += other.sum[j]
        }
    }

    /// The buckets in time order, as the columns of `/api/history`. Each column is written
    /// in place through pointers (a minute's answer has 24 000 numbers, made on one thread
    /// after the query's two are done).
    public func columns() -> HistoryColumns {
        var order: [Int] = []
        order.reserveCapacity(used.count)
        used.withUnsafeBufferPointer { used in
            for s in 0..<used.count where used[s] { order.append(s) }
        }
        // Lattice slots are in time order already; keys off it must be placed among them.
        if !index.isEmpty || lattice == nil { order.sort { keys[$0] < keys[$1] } }
        var out = HistoryColumns(channelCount: channelCount)
        let channels = channelCount
        order.withUnsafeBufferPointer { order in
            let m = order.count
            func gather<T>(_ source: [T], stride: Int = 1, offset: Int = 0, _ value: (UnsafePointer<T>, Int) -> T) -> [T] {
                source.withUnsafeBufferPointer { source in
                    [T](unsafeUninitializedCapacity: m) { buffer, initialized in
                        guard let base = source.baseAddress else { return }
                        for k in 0..<m { (buffer.baseAddress! + k).initialize(to: value(base, order[k] &* stride &+ offset)) }
                        initialized = m
                    }
                }
            }
            out.t0 = gather(first) { $0[$1] }
            out.t1 = gather(last) { $0[$1] }
            out.n = gather(samples) { $0[$1] }
            // NaN where the channel had no value.
            count.withUnsafeBufferPointer { count in
                guard m > 0, let counts = count.baseAddress else { return }  // no bucket: columns stay empty
                for c in 0..<channels {
                    out.min[c] = gather(low, stride: channels, offset: c) { counts[$1] > 0 ? $0[$1] : .nan }
                    out.max[c] = gather(high, stride: channels, offset: c) { counts[$1] > 0 ? $0[$1] : .nan }
                    out.mean[c] = gather(sum, stride: channels, offset: c) { counts[$1] > 0 ? $0[$1] / Double(counts[$1]) : .nan }
                }
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
