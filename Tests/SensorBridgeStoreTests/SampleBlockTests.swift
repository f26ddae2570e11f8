import Foundation
import PropertyBased
import Testing
@testable import SensorBridgeCore

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
        }
    }

    @Test func tornAndHostileBlobsThrowAndNeverTrap() {
        let good = SampleBlock(times: [1, 2, 3], columns: [[1, 2, 3]]).encoded()
        for cut in 0..<good.count {
            #expect(throws: StoreDataError.self) { try SampleBlock(decoding: Array(good.prefix(cut))) }
        }
        var random = SystemRandomNumberGenerator()
        for _ in 0..<2000 {
            var bytes = good
            bytes[Int.random(in: 0..<bytes.count, using: &random)] = UInt8.random(in: 0...255, using: &random)
            _ = try? SampleBlock(decoding: bytes)
            let noise = (0..<Int.random(in: 0...40, using: &random)).map { _ in UInt8.random(in: 0...255, using: &random) }
            _ = try? SampleBlock(decoding: noise)
            _ = try? SummaryCell(decoding: noise)
        }
    }
}
