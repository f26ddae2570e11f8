import Testing
@testable import SensorBridgeCore

/// The sketch's line counter: losses, wraps of 16- and 32-bit integers, resets, nonsense.
struct LineCounterColumnTests {
    @Test func aColumnThatCountsLinesIsTakenAfterEightAndAJumpIsALoss() throws {
        var column = LineCounterColumn()
        let layout = ChannelLayout(names: ["x", "seq", "y"], isNamedByDevice: true)
        func apply(_ values: [Double], _ layout: ChannelLayout) -> (values: [Double], layout: ChannelLayout, lost: UInt64)? {
            column.apply(values: values, layout: layout)
        }
        // On trial for 8 lines: left out already, nothing counted lost (5 → 7 is allowed).
        for number in [3.0, 4, 5, 7, 8, 9, 10] {
            let line = apply([1, number, 2], layout)
            #expect(line?.layout.names == ["x", "y"] && line?.lost == 0)
            #expect(column.name == nil)
        }
        let first = try #require(apply([1, 11, 2], layout))
        #expect(first.layout.names == ["x", "y"] && first.values == [1, 2] && first.lost == 0)
        #expect(column.name == "seq")
        #expect(apply([1, 12, 2], layout)?.lost == 0)
        #expect(apply([1, 16, 2], layout)?.lost == 3)
        #expect(apply([1, 17, 2], layout)?.layout === first.layout)
        // A line of the counter alone is no sample, but still counts.
        let alone = ChannelLayout(names: ["seq"], isNamedByDevice: true)
        #expect(apply([18], alone) == nil)
        #expect(apply([1, 20, 2], layout)?.lost == 1)
        // The port reopened: a new count, whatever it says.
        column.restart()
        #expect(apply([1, 500, 2], layout)?.lost == 0)
    }

    @Test func aCountOfSomethingElseStaysASeries() {
        var column = LineCounterColumn()
        let layout = ChannelLayout(names: ["count", "v"], isNamedByDevice: true)
        var names: [[String]] = []
        for pulses in [3.0, 5, 2, 7, 12, 13, 14, 15, 16, 17, 18, 19, 20] {
            names.append(column.apply(values: [pulses, 1], layout: layout)?.layout.names ?? [])
        }
        // Left out on trial for two lines; 5 → 2 falls: a series from then on.
        #expect(names == [["v"], ["v"]] + Array(repeating: ["count", "v"], count: 11), "\(names)")
        #expect(column.name == nil && column.refused == "count")
    }

    @Test func aCountThatStepsByTwoIsNoLineCounter() {
        var column = LineCounterColumn()
        let layout = ChannelLayout(names: ["count", "v"], isNamedByDevice: true)
        var lost: UInt64 = 0
        var names: [String] = []
        for k in 0..<20 {
            let line = column.apply(values: [Double(2 * k), 1], layout: layout)
            lost += line?.lost ?? 0
            names = line?.layout.names ?? []
        }
        // On trial it looked like a counter losing a line a line; at the verdict it is a series.
        #expect(column.name == nil && column.refused == "count")
        #expect(names == ["count", "v"] && lost == 0)
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
        column = LineCounterColumn()
        #expect(lost([30_000, 3e9, 30_002]) == [0, 0, 0], "one garbled reading: no lines lost")
        column = LineCounterColumn()
        #expect(lost([39_999, 0, 1]) == [0, 0, 0], "a board reset in the middle of a 16-bit range is not a wrap")
        column = LineCounterColumn()
        #expect(lost([3e9, 0]) == [0, 0], "nor in the middle of a 32-bit one")
    }

    @Test func nonsenseIsIgnoredAndNeverTraps() {
        var column = LineCounterColumn()
        let readings: [Double] = [.nan, .infinity, -.infinity, 1.5, -1e30, 1e30, 1.8e19, -9.3e18, 0, 18_446_744_073_709_549_568, 3, -0.0]
        for reading in readings + readings.reversed() { _ = column.count(reading) }
        let nan = column.count(.nan), fraction = column.count(2.5)
        #expect(nan == 0 && fraction == 0)
        // The largest accepted reading: the next expected number does not trap.
        column = LineCounterColumn()
        let top = column.count(17_999_999_999_999_997_952), next = column.count(17_999_999_999_999_997_952), zero = column.count(0)
        #expect(top == 0 && next == 0 && zero == 0)
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
