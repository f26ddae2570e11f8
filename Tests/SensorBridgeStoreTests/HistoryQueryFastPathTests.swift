import Foundation
import Testing
import TestSupport
@testable import SensorBridgeCore

/// The query's fast paths against the plain ones they replace: numbers printed from
/// integers, cells read in place, samples added straight from their blocks.
@Suite struct HistoryQueryFastPathTests {
    /// `JSONText.appendNumber` writes what `description` writes for every finite non-integer:
    /// short decimals, means of counts, and arbitrary doubles.
    @Test func numbersPrintAsDescriptionDoes() {
        var random = SeededRandom(seed: 3)
        var values: [Double] = [0.001, -0.001, 0.0011, 0.00099, 0.1, 0.2, 0.30000000000000004, 1e-05, 999_999_999.5,
                                1e9 + 0.5, 123_456_789.123456, 0.000001, 511.6666666666667, -0.98, 2.5e-4, 4.35, 1.005]
        for _ in 0..<200_000 {
            let k = Int(random.next() % 8)
            let m = Int64(random.next() % 2_000_000_000_000) - 1_000_000_000_000
            values.append(Double(m) / pow(10, Double(k)))
            let count = Double(1 + random.next() % 12)
            values.append(Double(Int64(random.next() % 20_000) - 10_000) / count)
            values.append(Double(bitPattern: random.next()))
        }
        for value in values where value.isFinite && value.rounded(.towardZero) != value {
            var out: [UInt8] = []
            JSONText.appendNumber(value, to: &out)
            #expect(String(decoding: out, as: UTF8.self) == value.description, "\(value)")
        }
    }

    /// Means of many samples need 13 to 17 digits: found by halving with the product's error
    /// taken into account, they must still be `description`'s text, sign and all. Integers
    /// of every length print as `String` does.
    @Test func meansAndIntegersPrintAsSwiftDoes() {
        var random = SeededRandom(seed: 11)
        var checked = 0
        for _ in 0..<300_000 {
            let count = Double(1 + random.next() % 5_000)
            let sum = Double(Int64(random.next() % 20_000_000) - 10_000_000)
            let decimals = Double(Int64(random.next() % 2_000_000) - 1_000_000) / 100  // sums of 2-decimal readings
            for value in [sum / count, decimals / count, (sum / count) * 1e-3, (sum / count) * 1e3] where value.rounded(.towardZero) != value {
                var out: [UInt8] = []
                JSONText.appendNumber(value, to: &out)
                #expect(String(decoding: out, as: UTF8.self) == value.description, "\(value)")
                checked += 1
            }
        }
        #expect(checked > 1_000_000)
        var integers: [Int64] = [0, 9, 10, 99, 100, 101, .max, .min, .min + 1]
        for k in 0..<19 {
            let power = (0..<k).reduce(Int64(1)) { a, _ in a * 10 }
            integers += [power, power - 1, -power, -(power - 1), power + 1]
        }
        for _ in 0..<20_000 { integers.append(Int64(bitPattern: random.next()) >> Int64(random.next() % 63)) }
        for value in integers {
            var out: [UInt8] = []
            JSONText.appendInteger(value, to: &out)
            #expect(String(decoding: out, as: UTF8.self) == String(value))
        }
    }

    /// Buckets laid out on a lattice hold what hashed buckets hold, for keys on it, off it
    /// (between its points, before, after, at both ends of Int64) and in any order; two
    /// halves merged hold what one set filled in turn holds.
    @Test func latticeAndMergeAddAsHashedBucketsDo() {
        var random = SeededRandom(seed: 17)
        let lattice = HistoryBuckets.Lattice(origin: -5_000, width: 250, count: 80)
        var keys: [Int64] = (0..<80).map { -5_000 + Int64($0) * 250 }
        keys += [-5_001, -4_999, 14_750, 15_000, 100, .min, .max, -5_250]
        var hashed = HistoryBuckets(channelCount: 2)
        var laid = HistoryBuckets(channelCount: 2, lattice: lattice)
        var halves = [HistoryBuckets(channelCount: 2, lattice: lattice), HistoryBuckets(channelCount: 2)]
        for i in 0..<20_000 {
            let key = keys[Int(random.next() % UInt64(keys.count))]
            let values = [Double(random.next() % 1024), random.next() % 7 == 0 ? .nan : Double(random.next() % 1024)]
            let time = Int64(i)
            hashed.add(key: key, time: time, values: values, positions: [0, 1])
            laid.add(key: key, time: time, values: values, positions: [0, 1])
            halves[i < 9_000 ? 0 : 1].add(key: key, time: time, values: values, positions: [0, 1])
        }
        #expect(laid.columns() == hashed.columns())
        var merged = halves[0]
        merged.merge(halves[1])
        #expect(merged.columns() == hashed.columns())
        #expect(merged.bucketCount == hashed.bucketCount && merged.sampleCount == 20_000)
        // Two halves on one lattice with every key on it, as a query's two threads fill them:
        // merged slot by slot, they hold what one set holds, means to the bit. Buckets both
        // touch, buckets only the second touches (keys 60…69), buckets neither does (70…79);
        // channel 0 has no value in the second half; some buckets hold zeros of one sign.
        var threads = [HistoryBuckets(channelCount: 2, lattice: lattice), HistoryBuckets(channelCount: 2, lattice: lattice)]
        var one = HistoryBuckets(channelCount: 2)
        for i in 0..<20_000 {
            let second = i % 3 == 0
            let slot = second ? Int(random.next() % 70) : Int(random.next() % 60)
            let zero = slot % 10 == 5  // these buckets hold -0.0 alone
            let values = [second || random.next() % 5 == 0 ? .nan : (zero ? -0.0 : Double(random.next() % 1024)),
                          zero ? -0.0 : Double(random.next() % 1024) - 512]
            one.add(key: keys[slot], time: Int64(i), values: values, positions: [0, 1])
            threads[second ? 1 : 0].add(key: keys[slot], time: Int64(i), values: values, positions: [0, 1])
        }
        var joined = threads[0]
        joined.merge(threads[1])
        let (merged2, one2) = (joined.columns(), one.columns())
        #expect(merged2 == one2)
        let sameBits = merged2.mean.joined().map(\.bitPattern) == one2.mean.joined().map(\.bitPattern)
        #expect(sameBits, "merged means differ in their bits from one set's")
        #expect(merged2.n.count == 70 && joined.sampleCount == 20_000)
        #expect(merged2.mean[0][65].isNaN && merged2.mean[1][65] == 0)
        var empty = HistoryBuckets(channelCount: 2, lattice: HistoryBuckets.Lattice(origin: 0, width: 1, count: -3))
        empty.merge(HistoryBuckets(channelCount: 2, lattice: HistoryBuckets.Lattice(origin: 0, width: 1, count: -3)))
        #expect(empty.bucketCount == 0)
        // The lattice a query asks for: its first and last keys are the range's ends' buckets.
        let covering = HistoryBuckets.Lattice.covering(from: 1_001, to: 9_999, width: 1_000, limit: 100)
        #expect(covering == HistoryBuckets.Lattice(origin: 1_000, width: 1_000, count: 9))
        #expect(HistoryBuckets.Lattice.covering(from: .min, to: .max, width: 1_000, limit: 100) == nil)
        #expect(HistoryBuckets.Lattice.covering(from: 0, to: 1_000_000, width: 1, limit: 100) == nil)
    }

    /// A cell read in place adds to the buckets exactly what the decoded cell adds, channels
    /// not asked for left out, whole and fractional values alike.
    @Test func cellsReadInPlaceAddAsDecodedCellsDo() throws {
        var random = SeededRandom(seed: 5)
        let positions = [4: 0, 9: 1, 2: 2]
        var plain = HistoryBuckets(channelCount: 3)
        var fast = HistoryBuckets(channelCount: 3, positions: positions)
        for i in 0..<3000 {
            var cell = SummaryCell()
            for _ in 0..<Int(random.next() % 6) {
                let values = (0..<4).map { c -> Double in
                    switch random.next() % 5 {
                    case 0: return .nan
                    case 1: return Double(Int64(random.next() % 1000) - 500) / 8
                    default: return Double(Int64(random.next() % 1024)) + Double(c)
                    }
                }
                cell.add(time: Int64(i) * 1000 + Int64(random.next() % 1000), values: values, channelIDs: [2, 4, 7, 9])
            }
            let key = Int64(random.next() % 40)
            plain.add(key: key, cell: cell, positions: positions)
            let start = Int64(i) * 1000
            try cell.encoded(start: start).withUnsafeBytes { try fast.add(key: key, encodedCell: $0, start: start) }
        }
        #expect(plain.columns() == fast.columns())
        #expect(plain.sampleCount == fast.sampleCount)
    }

    /// A cell cut short or changed anywhere throws or adds something, and never traps.
    @Test func tornCellsThrowAndNeverTrap() {
        var cell = SummaryCell()
        cell.add(time: 5, values: [1, 2.5], channelIDs: [1, 2])
        let good = cell.encoded(start: 0)
        for cut in 0..<good.count {
            var buckets = HistoryBuckets(channelCount: 2, positions: [1: 0, 2: 1])
            #expect(throws: StoreDataError.self) { try Array(good.prefix(cut)).withUnsafeBytes { try buckets.add(key: 0, encodedCell: $0, start: 0) } }
        }
        var random = SeededRandom(seed: 9)
        for _ in 0..<2000 {
            var bytes = good
            bytes[Int(random.next() % UInt64(bytes.count))] = UInt8(truncatingIfNeeded: random.next())
            var buckets = HistoryBuckets(channelCount: 2, positions: [1: 0, 2: 1])
            _ = try? bytes.withUnsafeBytes { try buckets.add(key: 0, encodedCell: $0, start: 0) }
        }
    }

    /// Samples added from a block land as the same samples added one by one.
    @Test func blocksAddAsTheirSamplesDo() {
        var random = SeededRandom(seed: 13)
        let count = 5000
        // In order but for a few steps back (a clock set back), which must not join runs.
        var times: [Int64] = []
        for i in 0..<count {
            let back: Int64 = i % 700 == 0 ? 30_000 : 0
            times.append(Int64(i) * 997 + Int64(random.next() % 500) - back)
        }
        var columns = (0..<3).map { _ in (0..<count).map { _ in random.next() % 31 == 0 ? Double.nan : Double(random.next() % 1024) } }
        // Infinities of either sign, now and then together in a bucket (their sum is NaN),
        // and decimals whose sums depend on the order they are added in.
        for i in 0..<count where random.next() % 97 == 0 { columns[2][i] = random.next() % 2 == 0 ? .infinity : -.infinity }
        // Zeros of both signs, which min and max must take as the samples come (the first).
        for i in 0..<count where random.next() % 11 == 0 { columns[2][i] = random.next() % 2 == 0 ? 0.0 : -0.0 }
        for i in 0..<count where random.next() % 5 == 0 { columns[0][i] = Double(random.next() % 100_000) / 100 }
        let block = SampleBlock(times: times, columns: columns)
        let slots: [Int?] = [1, nil, 0]
        let from: Int64 = 100_000, to: Int64 = 4_000_000, width: Int64 = 7_000
        var plain = HistoryBuckets(channelCount: 2)
        var fast = HistoryBuckets(channelCount: 2)
        for i in 0..<count where times[i] >= from && times[i] < to {
            plain.add(key: HistoryPlan.bucketStart(times[i], width: width), time: times[i], values: columns.map { $0[i] }, positions: slots)
        }
        var key = HistoryBuckets.SampleKey.width(width, origin: 0)
        fast.add(block: block, from: from, to: to, slots: slots, key: &key)
        // Counts, mins and maxes exact; sums added in another order differ in the last bits.
        let (a, b) = (plain.columns(), fast.columns())
        #expect(a.t0 == b.t0 && a.t1 == b.t1 && a.n == b.n)
        #expect(SampleBlock(times: [], columns: a.min + a.max) == SampleBlock(times: [], columns: b.min + b.max))
        for (x, y) in zip(a.mean.joined(), b.mean.joined()) {
            #expect(x.isNaN ? y.isNaN : (x == y || abs(x - y) <= 1e-12 * abs(x)), "mean \(x) against \(y)")
        }
        // One bucket each, numbered on across blocks.
        var single = HistoryBuckets(channelCount: 2)
        var ordinal = HistoryBuckets.SampleKey.ordinal(next: 0)
        single.add(block: block, from: from, to: 2_000_000, slots: slots, key: &ordinal)
        single.add(block: block, from: 2_000_000, to: to, slots: slots, key: &ordinal)
        let inRange = times.filter { $0 >= from && $0 < to }
        #expect(single.bucketCount == inRange.count)
        #expect(single.columns().n.allSatisfy { $0 == 1 })
        var fixed = HistoryBuckets(channelCount: 2)
        var one = HistoryBuckets.SampleKey.fixed(42)
        fixed.add(block: block, from: from, to: to, slots: slots, key: &one)
        #expect(fixed.bucketCount == 1 && fixed.sampleCount == Int64(inRange.count))
        // No channel asked for: times and counts only.
        var none = HistoryBuckets(channelCount: 0, lattice: .covering(from: from, to: to, width: width, limit: 1_000))
        var noneKey = HistoryBuckets.SampleKey.width(width, origin: 0)
        none.add(block: block, from: from, to: to, slots: [nil, nil, nil], key: &noneKey)
        let counted = none.columns()
        #expect(counted.t0 == a.t0 && counted.n == a.n && counted.min.isEmpty)
    }

    /// Runs of a bucket end exactly at its last µs: times on, just before and just after
    /// bucket boundaries (an origin not on a boundary), and times at both ends of Int64.
    @Test func runsEndAtTheBucketsLastMicrosecond() {
        let width: Int64 = 5_000
        let cases: [(origin: Int64, times: [Int64])] = [
            (1_234, (0..<400).flatMap { k -> [Int64] in let edge = 1_234 + Int64(k) * width; return [edge - 1, edge, edge + 1] }),
            (0, [Int64.min, Int64.min + 1, Int64.min + 807, Int64.min + 808, Int64.min + 809, Int64.min + 5_807, Int64.min + 5_808, Int64.min + 9_000]),
            (-7, [Int64.max - 9_000, Int64.max - 4_000, Int64.max - 10, Int64.max - 1]),
            (Int64.min / 2, [-5, 0, 5, Int64.max / 2, Int64.max - 3]),
        ]
        for (origin, times) in cases {
            let columns = [times.indices.map { Double($0) }]
            let block = SampleBlock(times: times, columns: columns)
            var plain = HistoryBuckets(channelCount: 1)
            for (i, time) in times.enumerated() where time < Int64.max {
                plain.add(key: HistoryPlan.bucketStart(time.subtractingSaturating(origin), width: width), time: time,
                          values: [columns[0][i]], positions: [0])
            }
            var fast = HistoryBuckets(channelCount: 1)
            var key = HistoryBuckets.SampleKey.width(width, origin: origin)
            fast.add(block: block, from: .min, to: .max, slots: [0], key: &key)
            #expect(plain.columns() == fast.columns(), "origin \(origin)")
        }
    }
}
