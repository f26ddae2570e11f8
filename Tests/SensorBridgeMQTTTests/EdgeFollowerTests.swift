import SensorBridgeCore
import SensorBridgeStream
import Testing
import TestSupport
@testable import SensorBridgeMQTT

/// The edge's clock for sample number 0: an hour ago, one sample every 20 ms after it.
private let origin = WallClock.nowMicros() - 3_600_000_000

/// Rows of consecutive samples: timed by their number (one every 20 ms from `origin`), or,
/// given the time of the first, one every millisecond after it.
private func rows(_ count: Int, first: UInt64 = 0, width: Int = 3, time: Int64? = nil) -> [MQTTMessages.Row] {
    let start = time ?? origin + Int64(first % 10_000_000) * 20_000
    let spacing: Int64 = time == nil ? 20_000 : 1_000
    return (0..<count).map { .init(timeMicros: start + Int64($0) * spacing, values: Array(repeating: Double($0), count: width)) }
}

private func status(_ state: SourceStatus.State, stream: String, seq: UInt64? = 0,
                    presence: MQTTMessages.Presence = .online) -> MQTTMessages.Received {
    .status(.init(state: state, detail: "d", stream: stream, nextSample: seq, presence: presence, sourceName: "/dev/ttyACM0", baud: 9600))
}

private func samples(_ first: UInt64, _ count: Int, run: String? = "run1", time: Int64? = nil) -> MQTTMessages.Received {
    .samples(first: first, rows: rows(count, first: first, time: time), stream: run)
}

/// A follower on a relay's clock: each message arrives 50 ms after the one before (an edge
/// publishing 20 times a second), unless told otherwise.
private struct Relay {
    var follower = EdgeFollower()
    var now = WallClock.nowMicros()

    mutating func take(_ message: MQTTMessages.Received, after micros: Int64 = 50_000) -> [EdgeFollower.Action] {
        now += micros
        return follower.take(message, nowMicros: now)
    }

    /// Time passes with nothing arriving.
    mutating func wait(_ micros: Int64) -> [EdgeFollower.Action] {
        now += micros
        return follower.expire(nowMicros: now)
    }

    var expected: UInt64? { follower.expected }
    var stream: String? { follower.stream }
    var heldCount: Int { follower.heldCount }
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
        var follower = Relay()
        #expect(follower.take(status(.connected, stream: "run1", seq: 100)) == [.state(.connected, detail: "d")])
        #expect(follower.take(.channels(from: 0, names: ["ax", "ay", "az"])).isEmpty)
        let first = published(follower.take(samples(100, 3)))
        #expect(first.count == 3, "where the run's status says it stands: taken at once")
        #expect(first.filter { $0.layout.names != ["ax", "ay", "az"] }.isEmpty)
        #expect(first[0].layout === first[2].layout, "one layout instance, so consumers compare by identity")
        let next = follower.take(samples(103, 2))
        #expect(published(next).count == 2 && next.count == 1)
        #expect(follower.expected == 105)
        #expect(follower.follower.sourceName == "/dev/ttyACM0" && follower.follower.baud == 9600)
    }

    /// Lines lost on the wire at the edge reach the relay's stream with the sample after them,
    /// once: a repeated message that carries them again is refused with its samples.
    @Test func linesLostAtTheEdgeComeWithTheSampleAfterThemOnce() {
        var follower = Relay()
        _ = follower.take(status(.connected, stream: "run1", seq: 0))
        #expect(published(follower.take(samples(0, 3))).map(\.linesLostBefore) == [0, 0, 0])
        var lossy = rows(3, first: 3)
        lossy[0].linesLostBefore = 4
        let message = MQTTMessages.Received.samples(first: 3, rows: lossy, stream: "run1")
        #expect(published(follower.take(message)).map(\.linesLostBefore) == [4, 0, 0])
        let again = follower.take(message)
        #expect(published(again).isEmpty && rejections(again).count == 1, "\(again)")
        // Held for confirmation (after a gap of samples), it still comes with its sample.
        var later = rows(2, first: 20)
        later[0].linesLostBefore = 1
        #expect(follower.take(.samples(first: 20, rows: later, stream: "run1")).isEmpty)
        _ = follower.take(samples(22, 2))
        let confirmed = follower.wait(300_000)
        #expect(gaps(confirmed) == [14])
        #expect(published(confirmed).map(\.linesLostBefore) == [1, 0, 0, 0])
    }

    @Test func aRelayJoiningMidStreamStartsOnceTheEdgeConfirmsWhereItIsWithoutAGap() {
        var follower = Relay()
        _ = follower.take(status(.connected, stream: "run1", seq: 0))  // retained long ago
        #expect(follower.take(samples(100, 3)).isEmpty, "held: the first number of a run could be anyone's")
        #expect(follower.take(samples(103, 2)).isEmpty, "a chain, but the run has not stalled yet")
        let confirmed = follower.wait(200_000)
        #expect(published(confirmed).map(\.values[0]) == [0, 1, 2, 0, 1])
        #expect(gaps(confirmed).isEmpty, "the relay was not there before: nothing was missed")
        #expect(follower.expected == 105)
    }

    @Test func aJumpIsAGapOnlyOnceTheEdgeConfirmsIt() {
        var follower = Relay()
        _ = follower.take(status(.connected, stream: "run1"))
        #expect(published(follower.take(samples(0, 10))).count == 10)
        #expect(follower.take(samples(25, 5)).isEmpty, "a jump is held, not yet a gap")
        #expect(follower.take(samples(30, 1)).isEmpty, "the next continues it, but the stream has not stalled yet")
        let after = follower.wait(150_000)
        #expect(after.first == .missed(count: 15, from: 10))
        #expect(published(after).count == 6)
        #expect(follower.take(samples(31, 1)).count == 1, "no gap once caught up")
    }

    @Test func theEdgesStatusConfirmsAHeldJump() {
        var follower = Relay()
        _ = follower.take(status(.connected, stream: "run1"))
        _ = follower.take(samples(0, 10))
        #expect(follower.take(samples(25, 5)).isEmpty)
        // The board was unplugged right after: no next message, but the status tells the number.
        let unplugged = follower.take(status(.disconnected, stream: "run1", seq: 30))
        #expect(unplugged.contains(.missed(count: 15, from: 10)))
        #expect(published(unplugged).count == 5)
    }

    @Test func aNewRunOfTheEdgeStartsItsNumbersAgainWithoutAFalseGap() {
        var follower = Relay()
        _ = follower.take(status(.connected, stream: "run1", seq: 500))
        _ = follower.take(samples(500, 10))
        let restarted = follower.take(status(.connected, stream: "run2", seq: 0))
        #expect(restarted == [.newRun(stream: "run2"), .state(.connected, detail: "d")])
        let fresh = follower.take(samples(0, 4, run: "run2"))
        #expect(fresh.count == 1 && published(fresh).count == 4)
    }

    @Test func aRestartWhoseStatusWasLostIsFollowedOnceItsOwnSamplesConfirmIt() {
        var follower = Relay()
        _ = follower.take(status(.connected, stream: "run1", seq: 0))
        _ = follower.take(samples(0, 500))
        let restart = origin + 20_000_000  // the edge started again, later
        #expect(follower.take(samples(0, 4, run: "run2", time: restart)).isEmpty, "one message of another run proves nothing")
        #expect(follower.take(samples(4, 4, run: "run2", time: restart + 80_000)).isEmpty)
        #expect(follower.wait(5_000_000).isEmpty, "a run of its own, but run1 may only be quiet")
        let confirmed = follower.wait(5_000_000)  // 10 s without run1: the edge is another now
        #expect(confirmed.first == .newRun(stream: "run2"))
        #expect(published(confirmed).count == 8 && gaps(confirmed).isEmpty)
        #expect(follower.stream == "run2")
    }

    // MARK: - What the probe of issue 19 sent

    @Test func replayingAnOldMessageIsARejectionNotARestart() {
        var follower = Relay()
        _ = follower.take(status(.connected, stream: "run1", seq: 0))
        _ = follower.take(samples(0, 200))
        for _ in 0..<5 {
            let replayed = follower.take(samples(0, 10))
            #expect(rejections(replayed).count == 1 && published(replayed).isEmpty)
            #expect(!replayed.contains { if case .newRun = $0 { true } else { false } }, "no 'started again'")
        }
        // Samples of a run the edge had before, from before it stopped: old. Further on, they
        // might be that run going on (the status of the new one forged), but they win the
        // stream only if the new run stalls.
        _ = follower.take(status(.connected, stream: "run2", seq: 0))
        _ = follower.take(samples(0, 3, run: "run2", time: origin + 5_000_000))
        #expect(rejections(follower.take(samples(100, 3, run: "run1"))).count == 1)
        #expect(published(follower.take(samples(700, 3, run: "run1", time: origin + 6_000_000))).isEmpty)
        for index in 0..<10 { #expect(published(follower.take(samples(3 + UInt64(index), 1, run: "run2", time: origin + 6_000_000 + Int64(index)))).count == 1) }
        #expect(follower.stream == "run2")
    }

    @Test func aForgedFutureNumberReportsNoGapAndCostsTheRealStreamNothing() {
        var follower = Relay()
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
        let expired = follower.wait(EdgeFollower.maxHeldMicros)
        #expect(rejections(expired).count == 1, "never confirmed: counted as refused")
        #expect(follower.heldCount == 0)
    }

    @Test func numbersAtTheEndOfTheRangeNeitherTrapNorStick() {
        var follower = Relay()
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
        var follower = Relay()
        _ = follower.take(status(.connected, stream: "run1", seq: 0))
        _ = follower.take(samples(0, 10))
        // A real gap (the broker dropped 10..19), then 100 forged numbers far ahead.
        _ = follower.take(samples(20, 10))
        var refused = 0
        for forged in 0..<(EdgeFollower.maxHeld + 40) {
            refused += rejections(follower.take(samples(1_000_000 + UInt64(forged) * 7919, 5, time: WallClock.nowMicros() - 1_000_000))).count
        }
        #expect(follower.heldCount <= EdgeFollower.maxHeld && refused > 0, "\(follower.heldCount) held, \(refused) refused")
        #expect(follower.heldCount + refused == EdgeFollower.maxHeld + 40 + 1, "every forged one held or refused")
        let confirmed = follower.take(samples(30, 10))
        #expect(gaps(confirmed) == [10] && published(confirmed).count == 20, "the real gap survived the flood")
    }

    @Test func aForgedStatusOfAnotherRunDoesNotCutTheRealStreamOff() {
        var follower = Relay()
        _ = follower.take(status(.connected, stream: "run1", seq: 0))
        _ = follower.take(samples(0, 10))
        _ = follower.take(status(.connected, stream: "forged", seq: 0))
        // The run announced sent nothing, and the run before goes on where it stopped: at once.
        var back = follower.take(samples(10, 5))
        back += follower.take(samples(15, 5))
        #expect(back.first == .newRun(stream: "run1"))
        #expect(published(back).count == 10 && gaps(back).isEmpty, "the run that goes on where it stopped is followed")
        #expect(follower.stream == "run1")
    }

    // MARK: - What the second probe sent (forged runs and times, while the edge streams)

    /// The edge streaming at 20 messages a second: message `index` numbered 10 × index, timed by the relay's clock.
    private func real(_ index: Int, _ relay: Relay) -> MQTTMessages.Received {
        samples(UInt64(index) * 10, 10, time: relay.now)
    }

    @Test func twoForgedMessagesOfANewRunDoNotStopTheRelay() {
        var relay = Relay()
        _ = relay.take(status(.connected, stream: "run1", seq: 0))
        var delivered = 0
        for index in 0..<100 {
            if index == 20 {
                for seq in [UInt64(0), 10] {
                    #expect(published(relay.take(samples(seq, 10, run: "FORGED0", time: relay.now + 500_000), after: 1_000)).isEmpty)
                }
            }
            let actions = relay.take(real(index, relay))
            #expect(!actions.contains { if case .newRun = $0 { true } else { false } }, "no forged run while the edge streams")
            delivered += published(actions).count
        }
        #expect(delivered == 1000 && relay.stream == "run1", "every real sample, the real run")
    }

    @Test func aForgedMessageAtTheNextNumberTimedAheadCostsNoBlackout() {
        var relay = Relay()
        _ = relay.take(status(.connected, stream: "run1", seq: 0))
        for index in 0..<20 { _ = relay.take(real(index, relay)) }
        // Timed 55 s ahead: every page would drop the edge's samples for 55 s behind it.
        #expect(rejections(relay.take(samples(200, 1, time: relay.now + 55_000_000), after: 1_000)).count == 1)
        // Within the clock's lead, at the next number: taken, it cannot be told from the edge's;
        // the edge's real 200… overlaps it.
        let forged = relay.take(samples(200, 1, time: relay.now + 9_000_000), after: 1_000)
        #expect(published(forged).count == 1)
        var delivered: [Double] = []
        var resynced = false
        for index in 20..<40 {
            let actions = relay.take(real(index, relay))
            delivered += published(actions).map(\.timeMicros).map(Double.init)
            resynced = resynced || actions.contains { if case .resynced = $0 { true } else { false } }
        }
        #expect(resynced, "the edge's own numbers win the stream back")
        #expect(delivered.count >= 170, "within a few messages, not 9 s: \(delivered.count) of 200")
        #expect(relay.expected == 400)
    }

    @Test func aFloodOfForgedRunsLeavesTheRealStreamWhole() {
        var relay = Relay()
        _ = relay.take(status(.connected, stream: "run1", seq: 0))
        var delivered = 0
        var gapsSeen: [UInt64] = []
        for index in 0..<200 {
            // Between two real messages, two chained messages of a new forged run, timed ahead.
            for seq in [UInt64(0), 3] {
                _ = relay.take(samples(seq, 3, run: "forged\(index)", time: relay.now + 500_000), after: 10_000)
            }
            let actions = relay.take(real(index, relay), after: 30_000)
            delivered += published(actions).filter { $0.values.count == 3 }.count
            gapsSeen += gaps(actions)
            #expect(!actions.contains { if case .newRun = $0 { true } else { false } })
        }
        #expect(delivered == 2000 && gapsSeen.isEmpty && relay.stream == "run1")
    }

    @Test func aForgedRunTakenWhileTheEdgeWasQuietGivesWayWhenTheEdgeGoesOn() {
        var relay = Relay()
        _ = relay.take(status(.connected, stream: "run1", seq: 0))
        for index in 0..<10 { _ = relay.take(real(index, relay)) }
        // The board is quiet for 11 s; someone publishes a run of their own meanwhile.
        var taken = relay.take(samples(0, 3, run: "forged", time: relay.now + 11_000_000), after: 11_000_000)
        taken += relay.take(samples(3, 3, run: "forged", time: relay.now + 50_000))
        #expect(taken.contains(.newRun(stream: "forged")), "a quiet stream and a chain of its own: believed")
        // The edge goes on where it stopped, at 20 messages a second; the forged run is quiet.
        var back: [EdgeFollower.Action] = []
        for index in 10..<250 { back += relay.take(real(index, relay)) }
        back += relay.wait(1_000_000)
        #expect(back.contains(.newRun(stream: "run1")) && relay.stream == "run1", "the edge's chain wins it back")
        let delivered = published(back).filter { $0.values.count == 3 }.count
        #expect(UInt64(delivered) + gaps(back).reduce(0, +) == 2_400, "every real sample delivered or counted missed")
        #expect(delivered >= 2_400 - 10 * 200 - 100, "lost at most the 10 s the forged run had: \(delivered)")
        #expect(relay.expected == 2_500)
    }

    // MARK: - What the review found (an edge with nobody attacking, and subtler forgeries)

    /// An edge sending message after message of `count` samples every `interval`, with the
    /// messages at `lost` lost on the way; what the relay delivers and reports missed.
    private func stream(every interval: Int64, messages: Int, count: Int = 10, lost: Set<Int>,
                        quietAfter: Int? = nil, quiet: Int64 = 0) -> (delivered: [UInt64], missed: UInt64) {
        var relay = Relay()
        var delivered: [UInt64] = []
        var missed: UInt64 = 0
        func collect(_ actions: [EdgeFollower.Action]) {
            for action in actions {
                if case .publish(let samples) = action { delivered += samples.map { UInt64($0.values[1]) } }
                if case .missed(let count, _) = action { missed += count }
            }
        }
        collect(relay.take(status(.connected, stream: "run1", seq: 0), after: 0))
        for index in 0..<messages {
            let pause = index == quietAfter.map({ $0 + 1 }) ? quiet : interval
            let first = UInt64(index * count)
            let rows = (0..<count).map { MQTTMessages.Row(timeMicros: relay.now + pause + Int64($0), values: [0, Double(first) + Double($0)]) }
            if lost.contains(index) {
                relay.now += pause
                collect(relay.follower.expire(nowMicros: relay.now))
            } else {
                collect(relay.take(.samples(first: first, rows: rows, stream: "run1"), after: pause))
            }
            collect(relay.wait(0))
        }
        collect(relay.wait(3 * max(interval, 2_000_000)))
        return (delivered, missed)
    }

    @Test(arguments: [
        (Int64(12_000_000), 30, Set([2])),           // a slow board: one reading every 12 s
        (Int64(1_000), 3_000, Set([1000, 2000])),    // --mqtt-rate 1000: one message a millisecond
        (Int64(50_000), 400, Set([5, 6, 200, 397])),
    ])
    func everyArrivingSampleIsDeliveredAndOnlyLostOnesAreMissed(interval: Int64, messages: Int, lost: Set<Int>) {
        let (delivered, missed) = stream(every: interval, messages: messages, lost: lost)
        let expected = (0..<messages).filter { !lost.contains($0) }.flatMap { index in (0..<10).map { UInt64(index * 10 + $0) } }
        #expect(delivered == expected, "every sample that arrived, in order: \(delivered.count) of \(expected.count)")
        #expect(missed == UInt64(lost.count * 10), "the lost ones, and only those, are missed")
    }

    @Test func aLossAfterAQuietSpellIsNoEndlessLoop() {
        // 100 messages at 20 a second, 30 s of silence, then on, and one message lost.
        let (delivered, missed) = stream(every: 50_000, messages: 400, lost: [103], quietAfter: 100, quiet: 30_000_000)
        #expect(delivered.count == 3990 && missed == 10, "\(delivered.count) delivered, \(missed) missed")
    }

    @Test func aRelayJoiningASlowEdgeMidRunStarts() {
        var relay = Relay()
        _ = relay.take(status(.connected, stream: "run1", seq: 0), after: 0)  // retained long ago
        var delivered = 0
        for index in 0..<6 {
            delivered += published(relay.take(samples(5000 + UInt64(index), 1, time: relay.now + 10_500_000), after: 10_500_000)).count
            delivered += published(relay.wait(1_000_000)).count
        }
        #expect(delivered >= 5, "the run starts within two readings: \(delivered)")
    }

    @Test func oneRowTimedFarAheadInAMessageAtTheNextNumberIsRefused() {
        var relay = Relay()
        _ = relay.take(status(.connected, stream: "run1", seq: 0))
        _ = relay.take(real(0, relay))
        let message = MQTTMessages.Received.samples(first: 10, rows: [
            .init(timeMicros: 990_000_000_000_000_000, values: [1, 1, 1]), .init(timeMicros: relay.now, values: [1, 1, 1]),
        ], stream: "run1")
        #expect(rejections(relay.take(message)).count == 1, "pages drop what follows a sample from the year 33 000")
    }

    @Test func aForgedStatusAndItsOwnSamplesDoNotTakeTheStreamWhileTheEdgeStreams() {
        var relay = Relay()
        _ = relay.take(status(.connected, stream: "run1", seq: 0))
        for index in 0..<10 { _ = relay.take(real(index, relay)) }
        _ = relay.take(status(.connected, stream: "F", seq: 0), after: 1_000)
        _ = relay.take(samples(0, 1, run: "F", time: relay.now), after: 1_000)
        var delivered = 0
        for index in 10..<200 {
            if index % 50 == 0 { _ = relay.take(samples(UInt64(index / 50), 1, run: "F", time: relay.now), after: 1_000) }
            delivered += published(relay.take(real(index, relay))).filter { $0.values.count == 3 && $0.values[0] >= 0 }.count
        }
        _ = relay.wait(3_000_000)
        #expect(relay.stream == "run1", "the edge's run, continuing where it stopped, wins back")
        #expect(delivered >= 1890 - 30, "every real sample but a message or two: \(delivered)")
    }

    @Test func twoForgedMessagesCannotSendTheNumbersBackFarAndCutTheEdgeOff() {
        var relay = Relay()
        _ = relay.take(status(.connected, stream: "run1", seq: 1_000_000_000))
        for index in 0..<10 { _ = relay.take(samples(1_000_000_000 + UInt64(index) * 10, 10, time: relay.now)) }
        _ = relay.wait(1_000_000)  // the board is quiet a second
        #expect(rejections(relay.take(samples(0, 1, time: relay.now))).count == 1, "behind what was delivered lately: old")
        #expect(rejections(relay.take(samples(1, 1, time: relay.now + 1_000))).count == 1)
        let back = relay.take(samples(1_000_000_100, 10, time: relay.now))
        #expect(published(back).count == 10 && relay.expected == 1_000_000_110)
    }

    @Test func aFloodOfOldNumbersTimedNowDoesNotBlockRecoveryFromALoss() {
        var relay = Relay()
        _ = relay.take(status(.connected, stream: "run1", seq: 0))
        for index in 0..<100 { _ = relay.take(real(index, relay)) }
        var delivered = 0
        var missed: UInt64 = 0
        for index in 100..<300 {
            for old in 0..<20 { _ = relay.take(samples(UInt64(old * 37 % 900), 1, time: relay.now), after: 100) }
            guard index != 150 else { continue }  // lost
            let actions = relay.take(real(index, relay))
            delivered += published(actions).filter { $0.values[0] >= 0 }.count
            missed += gaps(actions).reduce(0, +)
        }
        #expect(missed == 10 && delivered == 1990, "\(delivered) delivered, \(missed) missed")
    }

    @Test func anEdgeRestartedWithItsClockBehindIsFollowedThroughALoss() {
        var relay = Relay()
        _ = relay.take(status(.connected, stream: "run1", seq: 0))
        for index in 0..<10 { _ = relay.take(real(index, relay)) }
        _ = relay.take(status(.connected, stream: "run2", seq: 0))
        let behind: Int64 = 3_600_000_000  // no real-time clock: an hour behind
        var delivered = 0
        for index in 0..<40 where index != 5 {
            delivered += published(relay.take(samples(UInt64(index) * 10, 10, run: "run2", time: relay.now - behind))).count
        }
        delivered += published(relay.wait(1_000_000)).count
        #expect(delivered == 390, "everything but the lost message: \(delivered)")
    }

    @Test func aStatusThatConfirmsHeldMessagesDeliversThemBeforeItsState() {
        var relay = Relay()
        _ = relay.take(status(.connected, stream: "run1", seq: 0))  // retained long ago
        #expect(relay.take(samples(100, 3)).isEmpty)
        #expect(relay.take(samples(103, 2)).isEmpty)
        let actions = relay.take(status(.disconnected, stream: "run1", seq: 105))
        #expect(published(actions).count == 5, "100… and 103…, not only the one the status names")
        #expect(actions.last == .state(.disconnected, detail: "d"), "the board's last samples before its unplugging: \(actions)")
    }

    @Test func heldValuesAreBoundedToo() {
        var follower = Relay()
        _ = follower.take(status(.connected, stream: "run1", seq: 0))
        _ = follower.take(samples(0, 1))
        var refused = 0
        for first in [UInt64(1_000), 9_000, 17_000] {
            refused += rejections(follower.take(.samples(first: first, rows: rows(4_000, first: first, width: 64), stream: "run1"))).count
        }
        #expect(follower.heldCount == 1 && refused == 2, "\(EdgeFollower.maxHeldValues) values held at most")
    }

    /// Real messages and forged ones interleaved at random: every real sample comes out once,
    /// in order, with no gap that did not happen.
    @Test(arguments: [1, 2, 3, 4, 5])
    func realSamplesSurviveARandomHostileMix(seed: UInt64) {
        var random = SeededRandom(seed: seed)
        var follower = Relay()
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
        collect(follower.wait(1_000_000))  // and the stream stalls, so a last gap is confirmed
        #expect(zip(out, out.dropFirst()).allSatisfy { $0 < $1 }, "in order, never twice")
        #expect(UInt64(out.count) + missed == next, "every real sample delivered or counted missed")
        #expect(missed == reallyDropped, "a gap exactly where samples were lost")
        #expect(out.allSatisfy { $0 >= 0 }, "no forged sample published")
    }

    @Test func theLastWillAndAStopBecomeTheRelaysState() {
        var follower = Relay()
        _ = follower.take(status(.connected, stream: "run1"))
        #expect(follower.take(status(.disconnected, stream: "run1", presence: .gone)) == [.state(.disconnected, detail: "d")])
        #expect(follower.take(status(.connected, stream: "run1", presence: .stopped)) == [.state(.stopped, detail: "d")])
    }

    @Test func samplesOfAnotherWidthThanTheNamesGetDefaultNames() {
        var follower = Relay()
        _ = follower.take(status(.connected, stream: "run1", seq: 0))
        _ = follower.take(.channels(from: 0, names: ["a", "b"]))
        let samples = published(follower.take(.samples(first: 0, rows: rows(2, width: 3), stream: "run1")))
        #expect(samples.map(\.layout.names) == [["x", "y", "z"], ["x", "y", "z"]])
        #expect(follower.take(.samples(first: 2, rows: [], stream: "run1")).isEmpty)
    }
}

struct StatusPacerTests {
    @Test func aFloodOfStatesShowsTenASecondAndTheNewestWins() {
        var pacer = StatusPacer()
        var shown: StatusPacer.Change = (.connected, "")
        var applied = 0
        for index in 0..<1000 {
            if let change = pacer.offer((.connected, "flood \(index)"), shown: shown, nowMicros: Int64(index) * 1_000) {
                shown = change
                applied += 1
            }
        }
        #expect(applied <= 10 + 10, "a burst of 10, then 10 a second for the second the flood lasts: \(applied)")
        let last = pacer.due(shown: shown, nowMicros: 2_000_000)
        #expect(last?.detail == "flood 999", "the newest waiting one is shown when its turn comes")
    }

    /// The review: a relay's note on a gap replaced a change of state waiting its turn.
    @Test func aNoteKeepsTheStateThatWaits() {
        var pacer = StatusPacer(perSecond: 1)
        let shown: StatusPacer.Change = (.connected, "a")
        #expect(pacer.offer((.connected, "b"), shown: shown, nowMicros: 0) != nil)
        #expect(pacer.offer((.disconnected, "unplugged"), shown: (.connected, "b"), nowMicros: 1) == nil, "waits its turn")
        let note = pacer.offer((pacer.waitingState ?? .connected, "10 samples never reached this relay"), shown: (.connected, "b"), nowMicros: 2)
        #expect(note == nil)
        #expect(pacer.due(shown: (.connected, "b"), nowMicros: 2_000_000)?.state == .disconnected, "the state is not undone by the note")
    }
}
