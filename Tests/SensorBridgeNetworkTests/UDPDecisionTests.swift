import Testing
@testable import SensorBridgeNetwork

/// The pure decisions under a UDP source's socket: what a datagram's end means, what a flood
/// may cost, when the senders are news.
struct UDPDecisionTests {
    @Test func aDatagramsEndEndsItsLine() {
        #expect(DatagramLine.needsLineEnd(Array("x:1".utf8)[...]))
        #expect(!DatagramLine.needsLineEnd(Array("x:1\n".utf8)[...]))
        #expect(DatagramLine.needsLineEnd(Array("x:1\r".utf8)[...]), "a CR alone gets its LF")
        #expect(DatagramLine.needsLineEnd(Array("a:1\nb:2".utf8)[...]))
        #expect(!DatagramLine.needsLineEnd([][...]), "an empty datagram makes no line")
    }

    @Test func aFloodIsBoundedInDatagramsAndInBytes() {
        var budget = DatagramBudget(datagramsPerSecond: 10, bytesPerSecond: 1_000)
        let taken = (0..<100).filter { _ in budget.admit(byteCount: 1, nowMicros: 0) }.count
        #expect(taken == 10, "a second's burst")
        #expect(budget.admit(byteCount: 1, nowMicros: 50_000) == false)
        #expect(budget.admit(byteCount: 1, nowMicros: 250_000) == true, "a fifth of a second more refills two")
        #expect(budget.admit(byteCount: 1, nowMicros: 250_000) == true)
        #expect(budget.admit(byteCount: 1, nowMicros: 250_000) == false)

        var bytes = DatagramBudget(datagramsPerSecond: 1_000, bytesPerSecond: 1_000)
        #expect(bytes.admit(byteCount: 600, nowMicros: 0) == true)
        #expect(bytes.admit(byteCount: 600, nowMicros: 0) == false, "over the bytes")
        #expect(bytes.admit(byteCount: 400, nowMicros: 0) == true, "a refused datagram cost nothing")
        #expect(bytes.admit(byteCount: 1, nowMicros: -1_000_000) == false, "a clock that steps back refills nothing")
    }

    @Test func theFirstSenderAndEachChangeAreSaidAtMostOnceASecond() {
        var watch = SenderWatch()
        #expect(watch.heard("10.0.0.5:4210", nowMicros: 0) == "from 10.0.0.5:4210")
        #expect(watch.heard("10.0.0.5:4210", nowMicros: 10) == nil, "the same sender is no news")
        #expect(watch.heard("10.0.0.6:4210", nowMicros: 500_000) == nil, "held back: less than a second")
        #expect(watch.pollTimeoutMilliseconds(nowMicros: 500_000) == 500)
        #expect(watch.due(nowMicros: 1_000_000) == "from 2 senders, newest 10.0.0.6:4210")
        // Alternating senders: the count is the news, not each turn.
        #expect(watch.heard("10.0.0.5:4210", nowMicros: 2_100_000) == nil)
        #expect(watch.heard("10.0.0.6:4210", nowMicros: 3_200_000) == nil)
        #expect(watch.pollTimeoutMilliseconds(nowMicros: 3_200_000) == -1)
        // Only .6 goes on: after 10 s .5 no longer counts.
        #expect(watch.heard("10.0.0.6:4210", nowMicros: 12_200_000) == "from 10.0.0.6:4210")
    }

    @Test func aFloodOfSendersIsRememberedOnlyUpToALimit() {
        var watch = SenderWatch()
        for index in 0..<1_000 { _ = watch.heard("10.0.\(index / 256).\(index % 256):1", nowMicros: Int64(index)) }
        #expect(watch.due(nowMicros: 2_000_000) == "from \(SenderWatch.maxTracked) senders, newest 10.0.3.231:1")
    }
}
