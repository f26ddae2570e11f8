import Testing
@testable import SensorBridgeCore

/// The sketch's line counter: losses, wraps of 16- and 32-bit integers, resets, nonsense.
struct LineCounterColumnTests {
    @Test func aJumpIsALossAndTheColumnIsNotASeries() throws {
        var column = LineCounterColumn()
        let layout = ChannelLayout(names: ["x", "seq", "y"], isNamedByDevice: true)
        func apply(_ values: [Double], _ layout: ChannelLayout) -> (values: [Double], layout: ChannelLayout, lost: UInt64)? {
            column.apply(values: values, layout: layout)
        }
        let first = try #require(apply([1, 10, 2], layout))
        #expect(first.layout.names == ["x", "y"] && first.values == [1, 2] && first.lost == 0)
        #expect(apply([1, 11, 2], layout)?.lost == 0)
        #expect(apply([1, 15, 2], layout)?.lost == 3)
        #expect(apply([1, 16, 2], layout)?.layout === first.layout)
        #expect(column.name == "seq")
        // A line of the counter alone is no sample, but still counts.
        let alone = ChannelLayout(names: ["seq"], isNamedByDevice: true)
        #expect(apply([17], alone) == nil)
        #expect(apply([1, 19, 2], layout)?.lost == 1)
    }

    @Test func wrapsAreNotLossesAndResetsAreNeither() {
        var column = LineCounterColumn()
        func lost(_ readings: [Double]) -> [UInt64] { readings.map { column.count($0) } }
        #expect(lost([65_534, 65_535, 0, 1]) == [0, 0, 0, 0], "unsigned 16 bits")
        column = LineCounterColumn()
        #expect(lost([32_766, 32_767, -32_768, -32_767]) == [0, 0, 0, 0], "an AVR int")
        column = LineCounterColumn()
        #expect(lost([65_533, 2]) == [0, 4], "lost across the wrap: 65534, 65535, 0, 1")
        column = LineCounterColumn()
        #expect(lost([4_294_967_295, 0, 1]) == [0, 0, 0], "unsigned long")
        column = LineCounterColumn()
        #expect(lost([5_000, 5_001, 0, 1, 3]) == [0, 0, 0, 0, 1], "the board started again, then lost one")
        column = LineCounterColumn()
        #expect(lost([7, 9_000_000_000, 9_000_000_001, 9_000_000_003]) == [0, 0, 0, 1], "a garbled jump is a new count")
    }

    @Test func nonsenseIsIgnoredAndNeverTraps() {
        var column = LineCounterColumn()
        let readings: [Double] = [.nan, .infinity, -.infinity, 1.5, -1e30, 1e30, 1.8e19, -9.3e18, 0, 18_446_744_073_709_549_568, 3, -0.0]
        for reading in readings + readings.reversed() { _ = column.count(reading) }
        let nan = column.count(.nan), fraction = column.count(2.5)
        #expect(nan == 0 && fraction == 0)
        // Near the top of UInt64 the next expected number wraps rather than traps.
        column = LineCounterColumn()
        let top = column.count(18_446_744_073_709_549_568), zero = column.count(0)
        #expect(top == 0 && zero == 0)
    }

    @Test func noneAndANamedColumn() {
        var none = LineCounterColumn(.none)
        let kept = none.apply(values: [1, 2], layout: ChannelLayout(names: ["count", "x"], isNamedByDevice: true))
        #expect(kept?.values == [1, 2])
        var named = LineCounterColumn(.named("n"))
        let layout = ChannelLayout(names: ["n", "x"], isNamedByDevice: true)
        _ = named.apply(values: [1, 5], layout: layout)
        let jumped = named.apply(values: [4, 5], layout: layout)
        #expect(jumped?.lost == 2)
    }
}
