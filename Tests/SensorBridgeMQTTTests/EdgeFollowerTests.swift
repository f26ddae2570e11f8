import SensorBridgeCore
import SensorBridgeStream
import Testing
import TestSupport
@testable import SensorBridgeMQTT

/// The edge's clock for sample number 0: an hour ago, one sample every 20 ms after it.
private let origin = WallClock.nowMicros() - 3_600_000_000

private func rows(_ count: Int, first: UInt64 = 0, width: Int = 3, time: Int64? = nil) -> [MQTTMessages.Row] {
    let start = time ?? origin + Int64(first % 10_000_000) * 20_000
    return (0..<count).map { .init(timeMicros: start + Int64($0) * 20_000, values: Array(repeating: Double($0), count: width)) }
}

private func status(_ state: SourceStatus.State, stream: String, seq: UInt64? = 0,
                    presence: MQTTMessages.Presence = .online) -> MQTTMessages.Received {
    .status(.init(state: state, detail: "d", stream: stream, nextSample: seq, presence: presence, sourceName: "/dev/ttyACM0", baud: 9600))
}

private func samples(_ first: UInt64, _ count: Int, run: String? = "run1", time: Int64? = nil) -> MQTTMessages.Received {
    .samples(first: first, rows: rows(count, first: first, time: time), stream: run)
}

private func published(_ actions: [EdgeFollower.Action]) -> [Sample] {
    actions.flatMap { action -> [Sample] in
        if case .publish(let samples) = action { return samples }
        return []
    }
}

private func rejections(_ actions: [EdgeFollower.Action]) -> [String] {
    actions.compactMap { action in
        if case .rejected(let reason) = action { return reason.description }
        return nil
    }
}

private func gaps(_ actions: [EdgeFollower.Action]) -> [UInt64] {
    actions.compactMap { action in
        if case .missed(let count, _) = action { return count }
        return nil
    }
}

struct EdgeFollowerTests {
    @Test func samplesFollowInOrderWithTheEdgesNames() {
        var follower = EdgeFollower()
        #expect(follower.take(status(.connected, stream: "run1", seq: 100)) == [.state(.connected, detail: "d")])
        #expect(follower.take(.channels(from: 0, names: ["ax", "ay", "az"])).isEmpty)
        let first = published(follower.take(samples(100, 3)))
        #expect(first.count == 3, "where the run's status says it stands: taken at once")
        #expect(first.filter { $0.layout.names != ["ax", "ay", "az"] }.isEmpty)
        #expect(first[0].layout === first[2].layout, "one layout instance, so consumers compare by identity")
        let next = follower.take(samples(103, 2))
        #expect(published(next).count == 2 && next.count == 1)
        #expect(follower.expected == 105)
        #expect(follower.sourceName == "/dev/ttyACM0" && follower.baud == 9600)
    }

    @Test func aRelayJoiningMidStreamStartsOnceTheEdgeConfirmsWhereItIsWithoutAGap() {
        var follower = EdgeFollower()
        _ = follower.take(status(.connected, stream: "run1", seq: 0))  // retained long ago
        #expect(follower.take(samples(100, 3)).isEmpty, "held: the first number of a run could be anyone's")
        let confirmed = follower.take(samples(103, 2))
        #expect(published(confirmed).map(\.values[0]) == [0, 1, 2, 0, 1])
        #expect(gaps(confirmed).isEmpty, "the relay was not there before: nothing was missed")
        #expect(follower.expected == 105)
    }

    @Test func aJumpIsAGapOnlyOnceTheEdgeConfirmsIt() {
        var follower = EdgeFollower()
        _ = follower.take(status(.connected, stream: "run1"))
        #expect(published(follower.take(samples(0, 10))).count == 10)
        #expect(follower.take(samples(25, 5)).isEmpty, "a jump is held, not yet a gap")
        let after = follower.take(samples(30, 1))
        #expect(after.first == .missed(count: 15, from: 10))
        #expect(published(after).count == 6)
        #expect(follower.take(samples(31, 1)).count == 1, "no gap once caught up")
    }

    @Test func theEdgesStatusConfirmsAHeldJump() {
        var follower = EdgeFollower()
        _ = follower.take(status(.connected, stream: "run1"))
        _ = follower.take(samples(0, 10))
        #expect(follower.take(samples(25, 5)).isEmpty)
        // The board was unplugged right after: no next message, but the status tells the number.
        let unplugged = follower.take(status(.disconnected, stream: "run1", seq: 30))
        #expect(unplugged.contains(.missed(count: 15, from: 10)))
        #expect(published(unplugged).count == 5)
    }

    @Test func aNewRunOfTheEdgeStartsItsNumbersAgainWithoutAFalseGap() {
        var follower = EdgeFollower()
        _ = follower.take(status(.connected, stream: "run1", seq: 500))
        _ = follower.take(samples(500, 10))
        let restarted = follower.take(status(.connected, stream: "run2", seq: 0))
        #expect(restarted == [.newRun(stream: "run2"), .state(.connected, detail: "d")])
        let fresh = follower.take(samples(0, 4, run: "run2"))
        #expect(fresh.count == 1 && published(fresh).count == 4)
    }

    @Test func aRestartWhoseStatusWasLostIsFollowedOnceItsOwnSamplesConfirmIt() {
        var follower = EdgeFollower()
        _ = follower.take(status(.connected, stream: "run1", seq: 0))
        _ = follower.take(samples(0, 500))
        let restart = origin + 20_000_000  // the edge started again, later
        #expect(follower.take(samples(0, 4, run: "run2", time: restart)).isEmpty, "one message of another run proves nothing")
        let confirmed = follower.take(samples(4, 4, run: "run2", time: restart + 80_000))
        #expect(confirmed.first == .newRun(stream: "run2"))
        #expect(published(confirmed).count == 8 && gaps(confirmed).isEmpty)
        #expect(follower.stream == "run2")
    }

    // MARK: - What the probe of issue 19 sent

    @Test func replayingAnOldMessageIsARejectionNotARestart() {
        var follower = EdgeFollower()
        _ = follower.take(status(.connected, stream: "run1", seq: 0))
        _ = follower.take(samples(0, 200))
        for _ in 0..<5 {
            let replayed = follower.take(samples(0, 10))
            #expect(rejections(replayed).count == 1 && published(replayed).isEmpty)
            #expect(!replayed.contains { if case .newRun = $0 { true } else { false } }, "no 'started again'")
        }
        // Samples of a run the edge had before: old, whatever their numbers.
        _ = follower.take(status(.connected, stream: "run2", seq: 0))
        _ = follower.take(samples(0, 3, run: "run2"))
        #expect(rejections(follower.take(samples(700, 3, run: "run1"))).count == 1)
        #expect(follower.stream == "run2")
    }

    @Test func aForgedFutureNumberReportsNoGapAndCostsTheRealStreamNothing() {
        var follower = EdgeFollower()
        _ = follower.take(status(.connected, stream: "run1", seq: 0))
        _ = follower.take(samples(0, 10))
        // Timed just after the last sample: more samples than the edge could have sent.
        let implausible = follower.take(samples(993_693, 1, time: origin + 10 * 20_000))
        #expect(rejections(implausible).count == 1 && gaps(implausible).isEmpty, "not a gap of 993 683: \(implausible)")
        // Timed an hour later: possible, so held, but never confirmed by the edge.
        #expect(follower.take(samples(993_693, 1, time: WallClock.nowMicros())).isEmpty, "held, not a gap")
        for start in stride(from: UInt64(10), to: 100, by: 10) {
            let real = follower.take(samples(start, 10))
            #expect(published(real).count == 10 && gaps(real).isEmpty)
        }
        let expired = follower.expire(nowMicros: WallClock.nowMicros() + EdgeFollower.maxHeldMicros)
        #expect(rejections(expired).count == 1, "never confirmed: counted as refused")
        #expect(follower.heldCount == 0)
    }

    @Test func numbersAtTheEndOfTheRangeNeitherTrapNorStick() {
        var follower = EdgeFollower()
        _ = follower.take(status(.connected, stream: "run1", seq: 0))
        #expect(published(follower.take(samples(.max - 1, 1))).isEmpty)
        #expect(published(follower.take(samples(.max - 10, 1, time: WallClock.nowMicros()))).isEmpty)
        #expect(rejections(follower.take(samples(.max - 10, 1, time: WallClock.nowMicros() + 3_600_000_000))).count == 1,
                "timed an hour ahead of this relay's clock")
        #expect(published(follower.take(samples(0, 3))).count == 3, "the status's number starts the run")
        let later = follower.take(samples(3, 3))
        #expect(published(later).count == 3 && gaps(later).isEmpty)
    }

    @Test func aFloodOfForgedNumbersKeepsTheLowestAndBoundsWhatIsHeld() {
        var follower = EdgeFollower()
        _ = follower.take(status(.connected, stream: "run1", seq: 0))
        _ = follower.take(samples(0, 10))
        // A real gap (the broker dropped 10..19), then 100 forged numbers far ahead.
        _ = follower.take(samples(20, 10))
        var refused = 0
        for forged in 0..<100 {
            refused += rejections(follower.take(samples(1_000_000 + UInt64(forged) * 7919, 5, time: WallClock.nowMicros() - 1_000_000))).count
        }
        #expect(follower.heldCount == EdgeFollower.maxHeld)
        #expect(refused == 100 - (EdgeFollower.maxHeld - 1), "the highest numbers give way")
        let confirmed = follower.take(samples(30, 10))
        #expect(gaps(confirmed) == [10] && published(confirmed).count == 20, "the real gap survived the flood")
    }

    @Test func aForgedStatusOfAnotherRunDoesNotCutTheRealStreamOff() {
        var follower = EdgeFollower()
        _ = follower.take(status(.connected, stream: "run1", seq: 0))
        _ = follower.take(samples(0, 10))
        _ = follower.take(status(.connected, stream: "forged", seq: 0))
        #expect(follower.take(samples(10, 5)).isEmpty, "held: it may be the old run going on")
        let back = follower.take(samples(15, 5))
        #expect(published(back).count == 10 && gaps(back).isEmpty, "the run that goes on where it stopped is followed")
        #expect(follower.stream == "run1")
    }

    @Test func heldValuesAreBoundedToo() {
        var follower = EdgeFollower()
        _ = follower.take(status(.connected, stream: "run1", seq: 0))
        _ = follower.take(samples(0, 1))
        let wide = MQTTMessages.Received.samples(first: 1_000, rows: rows(4_000, width: 64), stream: "run1")
        var refused = 0
        for _ in 0..<3 { refused += rejections(follower.take(wide)).count }
        #expect(follower.heldCount == 1 && refused == 2, "\(EdgeFollower.maxHeldValues) values held at most")
    }

    /// Real messages and forged ones interleaved at random: every real sample comes out once,
    /// in order, with no gap that did not happen.
    @Test(arguments: [1, 2, 3, 4, 5])
    func realSamplesSurviveARandomHostileMix(seed: UInt64) {
        var random = SeededRandom(seed: seed)
        var follower = EdgeFollower()
        var out: [Double] = []
        var missed: UInt64 = 0
        var next: UInt64 = 0
        var reallyDropped: UInt64 = 0
        func collect(_ actions: [EdgeFollower.Action]) {
            out += published(actions).filter { $0.values[0] >= 0 }.map(\.values[0])
            missed += gaps(actions).reduce(0, +)
        }
        func real(_ seq: UInt64) -> Int64 { origin + Int64(seq) * 1_000 }
        func forged(_ value: Double, time: Int64) -> [MQTTMessages.Row] { [.init(timeMicros: time, values: [value])] }
        collect(follower.take(status(.connected, stream: "real", seq: 0)))
        for _ in 0..<400 {
            switch random.next() % 10 {
            case 0..<6:
                let count = Int(random.next() % 5) + 1
                let message = MQTTMessages.Received.samples(
                    first: next, rows: (0..<count).map { .init(timeMicros: real(next + UInt64($0)), values: [Double(next) + Double($0)]) },
                    stream: "real")
                next += UInt64(count)
                if next > UInt64(count), random.next() % 20 == 0 {
                    reallyDropped += UInt64(count)  // lost on the way, as QoS 0 may
                } else {
                    collect(follower.take(message))
                }
            case 6:
                // Anywhere ahead, timed now.
                collect(follower.take(.samples(first: random.next(), rows: forged(-1, time: WallClock.nowMicros()), stream: "real")))
            case 7:
                // An old number (one equal to the next expected would be indistinguishable from the edge's own).
                guard let expected = follower.expected, expected > 0 else { continue }
                collect(follower.take(.samples(first: random.next() % expected, rows: forged(-2, time: real(random.next() % expected)), stream: "real")))
            case 8:
                // Even numbers, one row: two of them never continue each other.
                collect(follower.take(.samples(first: random.next() % 1000 * 2, rows: forged(-3, time: real(next)), stream: "other\(random.next() % 3)")))
            default:
                collect(follower.take(.samples(first: UInt64.max - random.next() % 10 - 1, rows: forged(-4, time: real(next)), stream: nil)))
            }
        }
        // The last message arrives: everything before it is delivered or known missed.
        collect(follower.take(.samples(first: next, rows: [.init(timeMicros: real(next), values: [Double(next)])], stream: "real")))
        next += 1
        #expect(zip(out, out.dropFirst()).allSatisfy { $0 < $1 }, "in order, never twice")
        #expect(UInt64(out.count) + missed == next, "every real sample delivered or counted missed")
        #expect(missed == reallyDropped, "a gap exactly where samples were lost")
        #expect(out.allSatisfy { $0 >= 0 }, "no forged sample published")
    }

    @Test func theLastWillAndAStopBecomeTheRelaysState() {
        var follower = EdgeFollower()
        _ = follower.take(status(.connected, stream: "run1"))
        #expect(follower.take(status(.disconnected, stream: "run1", presence: .gone)) == [.state(.disconnected, detail: "d")])
        #expect(follower.take(status(.connected, stream: "run1", presence: .stopped)) == [.state(.stopped, detail: "d")])
    }

    @Test func samplesOfAnotherWidthThanTheNamesGetDefaultNames() {
        var follower = EdgeFollower()
        _ = follower.take(status(.connected, stream: "run1", seq: 0))
        _ = follower.take(.channels(from: 0, names: ["a", "b"]))
        let samples = published(follower.take(.samples(first: 0, rows: rows(2, width: 3), stream: "run1")))
        #expect(samples.map(\.layout.names) == [["x", "y", "z"], ["x", "y", "z"]])
        #expect(follower.take(.samples(first: 2, rows: [], stream: "run1")).isEmpty)
    }
}
