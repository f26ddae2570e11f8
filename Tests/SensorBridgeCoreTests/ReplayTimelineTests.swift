import Testing
@testable import SensorBridgeCore

struct ReplayTimelineTests {
    @Test func atSpeedZeroNothingWaits() {
        var timeline = ReplayTimeline(speed: 0)
        #expect(timeline.due(offset: 5_000_000) == nil)
        #expect(timeline.due(offset: 9_000_000) == nil)
        #expect(timeline.linesThisRound == 2)
    }

    @Test func linesAreDueAtTheirOffsetsFromTheFirstScaledBySpeed() {
        var timeline = ReplayTimeline(speed: 2)
        // The file's first line is due at once, whatever its own offset.
        #expect(timeline.due(offset: 1_000_000) == 0)
        #expect(timeline.due(offset: 1_020_000) == 10_000)
        // A line timed before the one before it plays right after it.
        #expect(timeline.due(offset: 1_010_000) == 10_000)
        #expect(timeline.due(offset: 1_100_000) == 50_000)
    }

    @Test func theNextRoundStartsOneLineIntervalAfterTheLast() {
        var timeline = ReplayTimeline(speed: 1)
        for line in 0..<5 { _ = timeline.due(offset: Int64(line) * 20_000) }
        timeline.endRound()
        #expect(timeline.linesThisRound == 0)
        // 80 ms of lines, 20 ms apart: the second round starts at 100 ms.
        #expect(timeline.due(offset: 0) == 100_000)
        #expect(timeline.due(offset: 20_000) == 120_000)
    }

    @Test func aRoundTakesAtLeastTwentyMilliseconds() {
        var timeline = ReplayTimeline(speed: 1)
        _ = timeline.due(offset: 0)
        _ = timeline.due(offset: 1)
        timeline.endRound()
        #expect(timeline.due(offset: 0) == 20_000)
        // One line, or lines all timed alike: no interval to go by, the least a round takes.
        var single = ReplayTimeline(speed: 1)
        _ = single.due(offset: 7)
        single.endRound()
        #expect(single.due(offset: 7) == 20_000)
        var alike = ReplayTimeline(speed: 1)
        for _ in 0..<3 { _ = alike.due(offset: 5) }
        alike.endRound()
        #expect(alike.due(offset: 5) == 20_000)
        #expect(ReplayTimeline.minRoundMicros == 20_000)
    }

    @Test func absurdTimesSaturateInsteadOfTrapping() {
        var timeline = ReplayTimeline(speed: 0.001)
        #expect(timeline.due(offset: .min) == 0)
        #expect(timeline.due(offset: .max) == .max)
        timeline.endRound()
        timeline.endRound()
        #expect(timeline.due(offset: .max) == .max)
        var fast = ReplayTimeline(speed: 1e300)
        #expect(fast.due(offset: 0) == 0)
        #expect(fast.due(offset: .max) == 0)
    }
}
