import Testing
import TestSupport
@testable import SensorBridgeCore

/// The board's clock onto wall time: bursts, drift, wraps, resets and nonsense.
struct BoardClockTests {
    private let epoch: Int64 = 1_790_000_000_000_000

    @Test func linesDeliveredInBurstsKeepTheBoardsSpacing() {
        var clock = BoardClock(unit: .milliseconds)
        var mapped: [Int64] = []
        var arrivals: [Int64] = []
        // 1 kHz on the board; USB hands them over 16 at a time, each burst 0.2-3 ms late.
        for index in 0..<20_000 {
            let burst = Int64(index) / 16
            let arrival = epoch + (burst + 1) * 16_000 + 200 + (burst * 7919) % 2_800
            arrivals.append(arrival)
            mapped.append(clock.map(Double(index), arrivalMicros: arrival))
        }
        #expect(zip(mapped, arrivals).allSatisfy { $0 <= $1 }, "never later than the line's arrival")
        #expect(zip(mapped, mapped.dropFirst()).allSatisfy { $0 <= $1 }, "never out of order")
        // Arrival times would step 0 within a burst and 16 ms between bursts; the board's are 1 ms.
        let steps = zip(mapped.dropFirst(16), mapped.dropFirst(17)).map { $1 - $0 }
        let exact = steps.filter { $0 == 1_000 }.count
        #expect(exact * 100 >= steps.count * 99, "\(exact) of \(steps.count) steps exactly the board's")
        let span = Double(mapped.last! - mapped[16]) / Double(mapped.count - 17)
        #expect(abs(span - 1_000) < 0.5, "the rate is the board's: \(span) µs a line")
    }

    @Test func aBoardClockThatDriftsIsFollowed() {
        for drift in [-0.005, 0.005] {
            var clock = BoardClock(unit: .microseconds)
            var worst: Int64 = 0
            var mapped: [Int64] = []
            // 10 minutes at 100 Hz; the board's crystal off by 0.5 %; 300-800 µs of USB latency.
            for index in 0..<60_000 {
                let wall = Int64(index) * 10_000
                let board = Double(wall) * (1 + drift)
                let arrival = epoch + wall + 300 + Int64((index * 31) % 500)
                mapped.append(clock.map(board, arrivalMicros: arrival))
                if index > 100 { worst = max(worst, arrival - mapped.last!) }
            }
            // Behind arrival by at most the window's drift (2 s × 0.5 %) and the latency.
            #expect(worst < 11_000, "drift \(drift): worst \(worst) µs behind arrival")
            let step = Double(mapped.last! - mapped[1_000]) / Double(mapped.count - 1_001)
            #expect(abs(step - 10_000) < 5, "drift \(drift): wall spacing kept (\(step) µs)")
        }
    }

    @Test func microsWrapsAt32BitsAndGoesOn() {
        var clock = BoardClock(unit: .microseconds)
        let top = Double(UInt32.max) - 499  // 500 µs before the wrap
        let first = clock.map(top, arrivalMicros: epoch)
        let after = clock.map(300, arrivalMicros: epoch + 800)  // 800 µs later, past the wrap
        #expect(after - first == 800)
        #expect(clock.segments == 0)
        var millis = BoardClock(unit: .milliseconds)
        let before = millis.map(Double(UInt32.max), arrivalMicros: epoch)
        #expect(millis.map(1, arrivalMicros: epoch + 2_000) - before == 2_000)
    }

    @Test func aBoardThatStartsAgainBeginsANewSegmentAndTimeNeverRunsBack() {
        var clock = BoardClock(unit: .milliseconds)
        var last = Int64.min
        for index in 0..<100 { last = clock.map(Double(50_000 + index * 10), arrivalMicros: epoch + Int64(index) * 10_000) }
        // Reset: millis() from 0 again, 2 s later.
        let restart = epoch + 2_990_000
        let first = clock.map(0, arrivalMicros: restart)
        #expect(clock.segments == 1)
        #expect(first == restart && first > last)
        #expect(clock.map(10, arrivalMicros: restart + 10_500) == restart + 10_000)
    }

    @Test func nonsenseReadingsNeverTrapNorPutSamplesOutOfOrder() {
        var random = SeededRandom(seed: 42)
        for unit in BoardClock.Unit.allCases {
            var clock = BoardClock(unit: unit)
            var last = Int64.min
            var arrival = epoch
            let nasty: [Double] = [.nan, .infinity, -.infinity, -1, 0, 1e300, 9.1e15, 4_294_967_295, 4_294_967_296, 2.5, 1e18, -0.0]
            for _ in 0..<5_000 {
                arrival += Int64.random(in: -1_000...20_000, using: &random)  // the wall clock may step back too
                let reading = Bool.random(using: &random) ? nasty.randomElement(using: &random)! : Double(Int.random(in: 0...Int(UInt32.max), using: &random))
                let mapped = clock.map(reading, arrivalMicros: arrival)
                #expect(mapped >= last)
                last = mapped
            }
        }
    }

    @Test func aColumnThatRunsLikeAClockIsTakenAndTimesTheSample() throws {
        let layout = ChannelLayout(names: ["ms", "x", "y"], isNamedByDevice: true)
        var column = BoardTimeColumn()
        func apply(_ values: [Double], _ arrival: Int64) -> Sample? { column.apply(values: values, layout: layout, arrivalMicros: arrival) }
        // On probation: 20 ms apart on the board and on arrival; taken once 100 ms have shown it.
        for line in 0..<10 {
            let sample = try #require(apply([1_000 + Double(line) * 20, 5, 6], epoch + Int64(line) * 20_000))
            #expect(sample.layout.names == ["x", "y"], "left out on trial too")
            #expect(sample.timeMicros == epoch + Int64(line) * 20_000)
            #expect((column.current != nil) == (line >= 7), "taken at the 8th line (140 ms of arrivals), not before: line \(line)")
        }
        #expect(column.current?.name == "ms" && column.current?.unit == .milliseconds)
        let a = try #require(apply([1_200, 5, 6], epoch + 201_000))
        let b = try #require(apply([1_204, 7, 8], epoch + 209_000))  // 4 ms on the board, 8 ms on arrival: USB
        #expect(b.layout === a.layout, "one layout instance while the parser's stays")
        #expect(b.timeMicros - a.timeMicros == 4_000)
        // A line without the clock's reading goes with the sample before it.
        #expect(apply([.nan, 1, 2], epoch + 230_000)?.timeMicros == b.timeMicros)
        // Only the clock: no sample.
        var alone = BoardTimeColumn(.named("t", .milliseconds))
        #expect(alone.apply(values: [5], layout: ChannelLayout(names: ["t"], isNamedByDevice: true), arrivalMicros: epoch) == nil)
    }

    @Test func aTemperatureTOrATimeInSecondsStaysASeries() {
        for (name, readings) in [("t", [21.5, 21.6, 21.4, 21.5, 21.7, 21.6, 21.8, 21.9, 22.0]),  // falls: not a clock
                                 ("time", (0..<12).map { Double($0) * 0.1 })] {              // seconds: 1000 × too slow
            var column = BoardTimeColumn()
            let layout = ChannelLayout(names: [name, "h"], isNamedByDevice: true)
            var shapes: [[String]] = []
            for (line, reading) in readings.enumerated() {
                let sample = column.apply(values: [reading, 40], layout: layout, arrivalMicros: epoch + Int64(line) * 100_000)
                shapes.append(sample?.layout.names ?? [])
                #expect(sample?.timeMicros == epoch + Int64(line) * 100_000, "\(name) line \(line)")
            }
            // Left out while on trial; a series from the line that shows it is no clock on.
            #expect(shapes.last == [name, "h"] && shapes.filter { $0 == ["h"] }.count <= 8, "\(name): \(shapes)")
            #expect(column.current == nil && column.refused == name)
        }
    }

    @Test func noneANamedColumnAndDefaultNames() {
        let layout = ChannelLayout(names: ["ms", "x", "y"], isNamedByDevice: true)
        var none = BoardTimeColumn(.none)
        #expect(none.apply(values: [1, 2, 3], layout: layout, arrivalMicros: epoch)!.layout.names == ["ms", "x", "y"])
        // Named: taken at once, in the unit given.
        var named = BoardTimeColumn(.named("stamp", .microseconds))
        let stamped = ChannelLayout(names: ["x", "stamp"], isNamedByDevice: true)
        _ = named.apply(values: [1, 100], layout: stamped, arrivalMicros: epoch)
        let next = named.apply(values: [2, 350], layout: stamped, arrivalMicros: epoch)!
        #expect(next.layout.names == ["x"] && next.timeMicros == epoch, "a reading 250 µs on, arriving with the first: the first was the late one")
        // Unlabelled default names (x, y, z) are never a clock.
        var plain = BoardTimeColumn()
        #expect(plain.apply(values: [1, 2, 3], layout: .defaultNames(count: 3), arrivalMicros: epoch)!.values == [1, 2, 3])
    }
}
