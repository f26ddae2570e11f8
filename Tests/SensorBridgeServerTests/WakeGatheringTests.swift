import Testing
@testable import SensorBridgeServer

/// When a loop serves its clients after a wake-up (`WakeGathering`): at once after a quiet
/// spell (a slow source: one loop wake-up a sample), after the gathering delay when samples
/// come fast (one write per client for several).
struct WakeGatheringTests {
    let gather: Int64 = 8000

    @Test func theFirstWakeUpAndOneAfterAQuietSpellAreServedAtOnce() {
        #expect(WakeGathering.delayMicros(nowMicros: 5_000_000, previousMicros: nil, gatherMicros: gather) == 0)
        // 50 Hz: 20 ms apart.
        #expect(WakeGathering.delayMicros(nowMicros: 5_020_000, previousMicros: 5_000_000, gatherMicros: gather) == 0)
        #expect(WakeGathering.delayMicros(nowMicros: 5_016_001, previousMicros: 5_000_000, gatherMicros: gather) == 0)
    }

    @Test func wakeUpsCloseTogetherGather() {
        // 1 kHz: the next wake-up comes as the gathered one was served, 8 ms later.
        #expect(WakeGathering.delayMicros(nowMicros: 5_008_100, previousMicros: 5_000_000, gatherMicros: gather) == gather)
        // 100 Hz: 10 ms apart.
        #expect(WakeGathering.delayMicros(nowMicros: 5_010_000, previousMicros: 5_000_000, gatherMicros: gather) == gather)
        #expect(WakeGathering.delayMicros(nowMicros: 5_016_000, previousMicros: 5_000_000, gatherMicros: gather) == gather)
    }

    @Test func aClockThatWentBackGathers() {
        #expect(WakeGathering.delayMicros(nowMicros: 4_000_000, previousMicros: 5_000_000, gatherMicros: gather) == gather)
        // Readings too far apart to subtract do not trap; whatever the wrapped difference,
        // the answer is one of the two delays, and gathering when it reads as backwards.
        #expect(WakeGathering.delayMicros(nowMicros: .min, previousMicros: .max, gatherMicros: gather) == gather)
        #expect(WakeGathering.delayMicros(nowMicros: .max, previousMicros: .min, gatherMicros: gather) == gather)
        #expect(WakeGathering.delayMicros(nowMicros: 1 << 62, previousMicros: -(1 << 62), gatherMicros: gather) == gather)
        #expect(WakeGathering.delayMicros(nowMicros: -(1 << 62), previousMicros: 1 << 62, gatherMicros: gather) == gather)
    }
}
