import SensorBridgeCore
import SensorBridgeStream
import Testing
@testable import SensorBridgeMQTT

private func rows(_ count: Int, from time: Int64 = 0, width: Int = 3) -> [MQTTMessages.Row] {
    (0..<count).map { .init(timeMicros: time + Int64($0) * 20_000, values: Array(repeating: Double($0), count: width)) }
}

private func status(_ state: SourceStatus.State, stream: String, presence: MQTTMessages.Presence = .online) -> MQTTMessages.Received {
    .status(.init(state: state, detail: "d", stream: stream, nextSample: 0, presence: presence, sourceName: "/dev/ttyACM0", baud: 9600))
}

private func published(_ actions: [EdgeFollower.Action]) -> [Sample] {
    actions.flatMap { action -> [Sample] in
        if case .publish(let samples) = action { return samples }
        return []
    }
}

struct EdgeFollowerTests {
    @Test func samplesFollowInOrderWithTheEdgesNames() {
        var follower = EdgeFollower()
        #expect(follower.take(status(.connected, stream: "run1")) == [.state(.connected, detail: "d")])
        #expect(follower.take(.channels(from: 0, names: ["ax", "ay", "az"])).isEmpty)
        let first = published(follower.take(.samples(first: 100, rows: rows(3))))
        #expect(first.count == 3, "a relay joining mid-stream starts where it joins, with no gap")
        #expect(first.filter { $0.layout.names != ["ax", "ay", "az"] }.isEmpty)
        #expect(first[0].layout === first[2].layout, "one layout instance, so consumers compare by identity")
        let next = follower.take(.samples(first: 103, rows: rows(2)))
        #expect(published(next).count == 2 && next.count == 1)
        #expect(follower.expected == 105)
        #expect(follower.sourceName == "/dev/ttyACM0" && follower.baud == 9600)
    }

    @Test func aJumpInTheEdgesNumbersIsReportedOnceAsAGap() {
        var follower = EdgeFollower()
        _ = follower.take(status(.connected, stream: "run1"))
        _ = follower.take(.samples(first: 0, rows: rows(10)))
        let after = follower.take(.samples(first: 25, rows: rows(5)))
        #expect(after.first == .missed(count: 15, from: 10))
        #expect(published(after).count == 5)
        #expect(follower.take(.samples(first: 30, rows: rows(1))).count == 1, "no gap once caught up")
    }

    @Test func aNewRunOfTheEdgeStartsItsNumbersAgainWithoutAFalseGap() {
        var follower = EdgeFollower()
        _ = follower.take(status(.connected, stream: "run1"))
        _ = follower.take(.samples(first: 500, rows: rows(10)))
        let restarted = follower.take(status(.connected, stream: "run2"))
        #expect(restarted == [.newRun(stream: "run2"), .state(.connected, detail: "d")])
        let fresh = follower.take(.samples(first: 0, rows: rows(4)))
        #expect(fresh.count == 1 && published(fresh).count == 4)
        // Numbers going back with no status (it was lost): followed, not dropped as old.
        let back = follower.take(.samples(first: 1, rows: rows(2)))
        #expect(back.first == .newRun(stream: "run2") && published(back).count == 2)
    }

    @Test func theLastWillAndAStopBecomeTheRelaysState() {
        var follower = EdgeFollower()
        _ = follower.take(status(.connected, stream: "run1"))
        #expect(follower.take(status(.disconnected, stream: "run1", presence: .gone)) == [.state(.disconnected, detail: "d")])
        #expect(follower.take(status(.connected, stream: "run1", presence: .stopped)) == [.state(.stopped, detail: "d")])
    }

    @Test func samplesOfAnotherWidthThanTheNamesGetDefaultNames() {
        var follower = EdgeFollower()
        _ = follower.take(.channels(from: 0, names: ["a", "b"]))
        let samples = published(follower.take(.samples(first: 0, rows: rows(2, width: 3))))
        #expect(samples.map(\.layout.names) == [["x", "y", "z"], ["x", "y", "z"]])
        #expect(follower.take(.samples(first: 2, rows: [])).isEmpty)
    }
}
