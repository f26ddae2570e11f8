import Testing
@testable import SensorBridgeNetwork

/// The pure decisions under a TCP source's socket: when to try again, when silence is news.
struct TCPDecisionTests {
    @Test func waitsDoubleFromAQuarterSecondToFiveAndAHeldConnectionStartsAgain() {
        var delay = ReconnectDelay()
        let waits = (0..<7).map { _ in delay.failed() }
        #expect(waits == [250_000, 500_000, 1_000_000, 2_000_000, 4_000_000, 5_000_000, 5_000_000])
        delay.connectionEnded(heldMicros: 1_000_000)
        #expect(delay.failed() == 5_000_000, "a connection that closed at once does not reset: no busy loop")
        delay.connectionEnded(heldMicros: 60_000_000)
        #expect(delay.failed() == 250_000)
        #expect(SecondsText.of(micros: 250_000) == "0.25 s")
        #expect(SecondsText.of(micros: 1_000_000) == "1 s")
        #expect(SecondsText.of(micros: 30_000_000) == "30 s")
    }

    @Test func silenceIsSaidOnceAfterTheLimitAndAgainOnlyAfterBytesCame() {
        var watch = SilenceWatch(limitMicros: 1_000_000, connectedMicros: 0)
        #expect(watch.pollTimeoutMilliseconds(nowMicros: 0) == 1000)
        #expect(watch.silenceToReport(nowMicros: 999_999) == false)
        #expect(watch.silenceToReport(nowMicros: 1_000_000) == true)
        #expect(watch.silenceToReport(nowMicros: 5_000_000) == false, "said once")
        #expect(watch.pollTimeoutMilliseconds(nowMicros: 5_000_000) == -1)
        #expect(watch.heard(nowMicros: 5_500_000) == true, "bytes after a reported silence: the source says it reads again")
        #expect(watch.heard(nowMicros: 5_600_000) == false)
        #expect(watch.silenceToReport(nowMicros: 6_500_000) == false)
        #expect(watch.silenceToReport(nowMicros: 6_600_000) == true)
    }
}
