import Foundation
import PropertyBased
import Testing
import TestSupport
@testable import SensorBridgeCore

/// A normal deviate (Box–Muller): a sensor's noise.
private func gaussian(_ random: inout SeededRandom) -> Double {
    let u = (Double(random.next() % 1_000_000) + 0.5) / 1_000_000
    let v = Double(random.next() % 1_000_000) / 1_000_000
    return (-2 * log(u)).squareRoot() * cos(2 * .pi * v)
}

/// Blocks give back every time and value bit for bit, whatever went in.
struct SampleBlockTests {
    @Test func adcCountsRoundTripAndPackSmall() {
        var random = SystemRandomNumberGenerator()
        var times: [Int64] = []
        var columns: [[Double]] = [[], [], []]
        var t: Int64 = 1_764_417_600_000_000
        for i in 0..<1000 {
            t += 1000 + Int64.random(in: -80...80, using: &random)
            times.append(t)
            for c in 0..<3 {
                let wave = 200 * sin(Double(i) / 10 + Double(c))
                let noise = Double.random(in: -4...4, using: &random)
                columns[c].append((512 + wave + noise).rounded())
            }
        }
        let block = SampleBlock(times: times, columns: columns)
        let bytes = block.encoded()
        #expect((try? SampleBlock(decoding: bytes)) == block)
        // 3000 values: well under the 2 bytes a value the store must keep to.
        #expect(bytes.count < 3000 * 2)
    }

    /// A vibration with noise, as the store keeps it (whole ms): the predictor leaves about
    /// the noise to store, well under a byte a value, and every value comes back.
    @Test func aVibrationIsPredictedAndTakesUnderAByteAValue() {
        var random = SeededRandom(seed: 21)
        let n = 16_384
        var times: [Int64] = []
        var columns: [[Double]] = [[], [], []]
        var t: Int64 = 1_764_417_600_000_000
        for i in 0..<n {
            t += random.next() % 50 == 0 ? 2000 : 1000
            times.append(t)
            for c in 0..<3 {
                let wave = (180 - 40 * Double(c)) * sin(2 * .pi * Double(31 * (c + 1)) * Double(i) / 1000 + Double(c))
                columns[c].append((512 + wave + gaussian(&random) * 3).rounded())
            }
        }
        let block = SampleBlock(times: times, columns: columns)
        let bytes = block.encoded()
        #expect((try? SampleBlock(decoding: bytes)) == block)
        let perValue = Double(bytes.count) / Double(3 * n)
        #expect(perValue < 0.6, "\(perValue) bytes a value")
        // Deltas of deltas alone, as schema 1 kept them, took about 0.77 here.
        var packed = 0
        for column in columns {
            let integers = column.map { Int64($0) }
            let secondOrder: [UInt64] = (2..<n).map { i in zigzag(integers[i] - 2 * integers[i - 1] + integers[i - 2]) }
            packed += SampleBlock.packedBits(secondOrder)
        }
        #expect(Double(bytes.count * 8) < 0.8 * Double(packed))
    }

    /// Any column of integers round-trips through the predictor, whatever its fit: wild
    /// values, values near the limits of exactness, flat stretches, outliers past the escape.
    @Test func predictedColumnsRoundTripWhateverTheValues() async {
        let gen = Gen.oneOf(
            Gen.int(in: -3...3).map { Int64($0) },
            Gen.int64(in: -9_007_199_254_740_992...9_007_199_254_740_992),
            Gen.int(in: 0...1023).map { Int64($0) }).array(of: 1...400)
        await propertyCheck(count: 200, input: gen) { raw in
            // A smooth run with the generated values as outliers, so the predictor is chosen.
            let values = raw.enumerated().map { i, v in i % 17 == 0 ? Double(v) : (512 + 300 * sin(Double(i) / 7)).rounded() }
            let block = SampleBlock(times: (0..<Int64(values.count)).map { $0 * 1000 }, columns: [values])
            #expect((try? SampleBlock(decoding: block.encoded())) == block)
            for order in LinearPredictor.orders where order < values.count {
                let integers = values.map { Int64($0) }
                let fitted = integers.withUnsafeBufferPointer { LinearPredictor.fit($0, orders: [order]) }.map(\.predictor)
                for predictor in fitted {
                    var d = integers.withUnsafeBufferPointer { predictor.residuals($0) }.map { Int64(bitPattern: $0) }
                    d.insert(contentsOf: integers.prefix(order).map { $0 &- predictor.mean }, at: 0)
                    d.withUnsafeMutableBufferPointer { predictor.reconstruct($0.baseAddress!, count: $0.count) }
                    #expect(d == integers)
                }
            }
        }
    }

    /// Rice groups give back any numbers in either layout, the escape (quotients of 24 and
    /// more) included.
    @Test(arguments: [RiceCoding.Layout.interleaved, .split])
    func riceCodingRoundTripsAnyNumbers(layout: RiceCoding.Layout) async {
        let gen = Gen.oneOf(
            Gen.uint64(in: 0...15),
            Gen.uint64(in: 0...100_000),
            Gen.uint64(in: 0...UInt64.max)).array(of: 0...700)
        await propertyCheck(count: 300, input: gen) { values in
            var out = ByteWriter()
            RiceCoding.encode(values, into: &out, layout: layout)
            out.byte(0xAB)  // what follows must be left where it is
            var input = ByteReader(out.bytes)
            var back = [UInt64](repeating: 7, count: values.count)
            let ok = (try? back.withUnsafeMutableBufferPointer { try input.riceDecode(count: values.count, of: values.count, into: $0.baseAddress!, layout: layout) }) != nil
            #expect(ok)
            #expect(back == values)
            #expect((try? input.byte()) == 0xAB)
            // The first few only, as a query that ends early reads them.
            for count in Set([0, 1, values.count / 3, values.count - 1]) where count >= 0 && count <= values.count {
                var again = ByteReader(out.bytes)
                var first = [UInt64](repeating: 7, count: count)
                let read = (try? first.withUnsafeMutableBufferPointer { try again.riceDecode(count: count, of: values.count, into: $0.baseAddress!, layout: layout) }) != nil
                #expect(read)
                #expect(first == Array(values.prefix(count)))
            }
        }
    }

    /// The split layout is the same size as the interleaved one but for the bytes each
    /// group's two halves round up to, and a cut anywhere is an error.
    @Test func splitRiceGroupsCostWhatInterleavedOnesDo() throws {
        var random = SeededRandom(seed: 21)
        let values = (0..<1000).map { i in i == 500 ? UInt64(1) << 40 : random.next() % 41 }
        var split = ByteWriter(), interleaved = ByteWriter()
        RiceCoding.encode(values, into: &split, layout: .split)
        RiceCoding.encode(values, into: &interleaved, layout: .interleaved)
        let groups = (values.count + RiceCoding.groupSize - 1) / RiceCoding.groupSize
        // One byte more a group at most, and the escaped value's count byte.
        #expect(split.bytes.count <= interleaved.bytes.count + groups + 1)
        for cut in 0..<split.bytes.count {
            var input = ByteReader(Array(split.bytes.prefix(cut)))
            var back = [UInt64](repeating: 0, count: values.count)
            #expect(throws: StoreDataError.self) {
                try back.withUnsafeMutableBufferPointer { try input.riceDecode(count: values.count, of: values.count, into: $0.baseAddress!, layout: .split) }
            }
        }
    }

    /// Split groups that lie: an escape flag with no escapes or more than the group holds,
    /// a parameter over 56, quotients that end early, an escape the list does not have, or
    /// escapes the quotients never use: each an error, never a trap or a read past the end.
    @Test func hostileSplitRiceGroupsThrow() {
        func decode(_ bytes: [UInt8], count: Int = 4, of total: Int = 4) -> Bool {
            var input = ByteReader(bytes)
            var out = [UInt64](repeating: 0, count: count)
            return (try? out.withUnsafeMutableBufferPointer { try input.riceDecode(count: count, of: total, into: $0.baseAddress!, layout: .split) }) != nil
        }
        // Four values at k = 1: low bits 0b1010 (one byte), quotients 0, 1, 0, 2 (1 01 1 001).
        let good: [UInt8] = [0x01, 0b0000_1010, 0b0100_1101, 0x00]
        #expect(decode(good))
        #expect(decode(good, count: 2))
        #expect(!decode([0x41, 0x00] + good.dropFirst()), "an escape flag with no escapes")
        #expect(!decode([0x41, 0x05] + Array(repeating: 0, count: 40)), "more escapes than values")
        #expect(!decode([0x39] + good.dropFirst()), "k = 57")
        #expect(!decode([0x7F] + good.dropFirst()), "k = 63")
        #expect(!decode([0x01, 0b0000_1010]), "no quotients at all")
        #expect(!decode([0x01, 0b0000_1010, 0b0000_1101]), "quotients that end early")
        // A quotient of 24 (the escape) with an empty list, and a list the quotients never use.
        // (k = 0: no low bits; 24 zeros, then four ones: the escape and three zeros.)
        #expect(!decode([0x00, 0x00, 0x00, 0x00, 0b0000_1111]), "an escape not listed")
        #expect(!decode([0x40, 0x01, 7, 0, 0, 0, 0, 0, 0, 0, 0b0000_1111]), "an escape listed, never used")
        let escaped: [UInt8] = [0x40, 0x01, 7, 0, 0, 0, 0, 0, 0, 0, 0x00, 0x00, 0x00, 0b0000_1111]
        var input = ByteReader(escaped)
        var out = [UInt64](repeating: 9, count: 4)
        #expect((try? out.withUnsafeMutableBufferPointer { try input.riceDecode(count: 4, of: 4, into: $0.baseAddress!, layout: .split) }) != nil)
        #expect(out == [7, 0, 0, 0], "an escape's quotient comes from its list")
        for cut in 0..<escaped.count { #expect(!decode(Array(escaped.prefix(cut))), "cut at \(cut)") }
    }

    /// Times of whole ms are written in ms; a block of µs still keeps its µs.
    @Test func wholeMillisecondTimesAreWrittenInMilliseconds() {
        let ms = SampleBlock(times: (0..<1000).map { 1_764_417_600_000_000 + $0 * 1000 }, columns: [])
        let us = SampleBlock(times: (0..<1000).map { 1_764_417_600_000_000 + $0 * 1000 + ($0 % 3) }, columns: [])
        #expect((try? SampleBlock(decoding: ms.encoded())) == ms)
        #expect((try? SampleBlock(decoding: us.encoded())) == us)
        #expect(ms.encoded().count < 200)
    }

    @Test func decimalsMissingValuesAndOddDoublesRoundTrip() throws {
        let columns: [[Double]] = [
            [23.5, 23.25, .nan, 24.125, -0.5],
            [.nan, .nan, .nan, .nan, .nan],
            [1e300, -0.0, .infinity, 3.141592653589793, .leastNonzeroMagnitude],
            [0.1, 0.2, 0.30000000000000004, 1e-9, 123456.789],
        ]
        let block = SampleBlock(times: [5, 4, 4, -3, Int64.max], columns: columns)
        #expect((try? SampleBlock(decoding: block.encoded())) == block)
        #expect(SampleBlock.decimalScale(of: [23.5, 23.25]) == 2)
        #expect(SampleBlock.decimalScale(of: [512, 498]) == 0)
        #expect(SampleBlock.decimalScale(of: [-0.0]) == nil)
    }

    @Test func anyTimesAndValuesRoundTrip() async {
        let value = Gen.oneOf(
            Gen.int(in: -2000...2000).map { Double($0) },
            Gen.int(in: -100_000...100_000).map { Double($0) / 100 },
            Gen.double(in: -1e12...1e12),
            Gen.always(Double.nan))
        let gen = zip(Gen.int64(in: Int64.min / 2...Int64.max / 2).array(of: 1...300), value.array(of: 0...300).array(of: 0...4))
        await propertyCheck(count: 200, input: gen) { times, raw in
            // Every column as long as the times: cut, or filled with missing values.
            let columns = raw.map { column in
                Array(column.prefix(times.count)) + Array(repeating: Double.nan, count: max(0, times.count - column.count))
            }
            let block = SampleBlock(times: times, columns: columns)
            #expect((try? SampleBlock(decoding: block.encoded())) == block)
            #expect((try? SampleBlock(decoding: block.encoded(version: 2))) == block)
        }
    }

    /// A query's decoding (the samples before a time, some columns) gives what decoding the
    /// whole block and cutting it would, from blocks of this version and of version 2.
    @Test func aBlockCutShortDecodesAsTheWholeBlockCut() async {
        let value = Gen.oneOf(
            Gen.int(in: -2000...2000).map { Double($0) },
            Gen.int(in: -100_000...100_000).map { Double($0) / 100 },
            Gen.double(in: -1e12...1e12),
            Gen.always(Double.nan))
        // Noise of ±20 counts: residuals of several bits (a silent column would hide where a
        // group's quotients begin).
        let vibration = Gen.int(in: 0...3).map { phase in
            (0..<600).map { i in (512 + 300 * sin(Double(i + phase) * 0.7)).rounded() + Double((i * 7919 + phase * 31) % 41) - 20 }
        }
        // Whole columns of one kind (scaled: ADC counts or two decimals, with or without
        // gaps), where a mixed column is mostly doubles XORed.
        let gap = Gen.int(in: 0...9)
        let counts = zip(Gen.int(in: 0...1023), gap).map { v, g in g == 0 ? Double.nan : Double(v) }.array(of: 600)
        let decimals = Gen.int(in: -5000...5000).map { Double($0) / 100 }.array(of: 600)
        let columns = Gen.oneOf(value.array(of: 600), vibration, counts, decimals).array(of: 0...3)
        let gen = zip(columns, Gen.int(in: -5...700), Gen.bool.array(of: 0...4), Gen.bool)
        await propertyCheck(count: 200, input: gen) { columns, end, wanted, steady in
            // Steady times, or times that go back now and then (a clock set back).
            let times: [Int64] = (0..<600).map { (i: Int) -> Int64 in
                let back = steady || i % 97 != 0 ? 0 : 50
                return Int64(i - back)
            }
            let block = SampleBlock(times: times, columns: columns)
            let kept = (times.lastIndex { $0 < Int64(end) } ?? -1) + 1
            for version: UInt8 in [2, 3] {
                guard let cut = try? SampleBlock(decoding: block.encoded(version: version), before: Int64(end), columns: wanted) else {
                    Issue.record("version \(version) did not decode")
                    continue
                }
                #expect(cut.times == Array(times.prefix(kept)))
                for (k, column) in columns.enumerated() {
                    let expected = k < wanted.count && wanted[k] ? Array(column.prefix(kept)) : []
                    #expect(SampleBlock(times: [], columns: [cut.columns[k]]) == SampleBlock(times: [], columns: [expected]))
                }
            }
        }
    }

    @Test func tornAndHostileBlobsThrowAndNeverTrap() {
        let small = SampleBlock(times: [1, 2, 3], columns: [[1, 2, 3]]).encoded()
        // A fast vibration (5 samples a cycle): deltas of deltas need 10 bits a value, a
        // predictor of order 2 about 2, so the column is a predicted one.
        let vibration: [Double] = (0..<300).map { i in
            let phase = 2 * Double.pi * Double(i) / 5
            return (512 + 300 * sin(phase)).rounded() + Double(i % 3)
        }
        let vibrating = SampleBlock(times: (0..<300).map { Int64($0) * 1000 }, columns: [vibration])
        let predicted = vibrating.encoded()
        #expect(predicted.count < 150, "\(predicted.count as Int) bytes: the vibration is not coded as a predicted column")
        for good in [small, predicted, vibrating.encoded(version: 2)] {
            for cut in 0..<good.count {
                #expect(throws: StoreDataError.self) { try SampleBlock(decoding: Array(good.prefix(cut))) }
            }
        }
        var random = SystemRandomNumberGenerator()
        for trial in 0..<4000 {
            let good = trial % 2 == 0 ? small : predicted
            var bytes = good
            bytes[Int.random(in: 0..<bytes.count, using: &random)] = UInt8.random(in: 0...255, using: &random)
            _ = try? SampleBlock(decoding: bytes)
            let noise = (0..<Int.random(in: 0...40, using: &random)).map { _ in UInt8.random(in: 0...255, using: &random) }
            _ = try? SampleBlock(decoding: noise)
            _ = try? SummaryCell(decoding: noise, start: 0)
            _ = try? SummaryCell(decodingVersion1: noise)
        }
    }
}
