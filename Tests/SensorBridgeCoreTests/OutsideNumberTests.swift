import Testing
@testable import SensorBridgeCore

/// Sums, conversions, rates and log budgets on numbers that came from outside: none may trap.
struct OutsideNumberTests {
    @Test func sumsSaturateAtTheBounds() {
        #expect(UInt64.max.addingSaturating(1) == .max)
        #expect(UInt64(5).subtractingSaturating(9) == 0)
        #expect(Int64.min.subtractingSaturating(1) == .min)
        #expect(Int64.max.addingSaturating(.max) == .max)
        #expect(Int64.min.addingSaturating(-5) == .min)
        #expect(Int64(3).addingSaturating(-5) == -2)
        #expect(Int64.max.multipliedSaturating(by: -2) == .min)
        #expect(UInt64.max.addingChecked(1) == nil && UInt64(1).addingChecked(1) == 2)
    }

    @Test(arguments: [(1e300, Int64.max), (-1e300, Int64.min), (.nan, 0), (.infinity, Int64.max), (-2.7, -2), (9.3e18, Int64.max)])
    func doublesBecomeTheNearestInt64(value: Double, expected: Int64) {
        #expect(Int64(saturating: value) == expected)
    }

    @Test func everyUInt64IsWrittenAsItIs() {
        var out: [UInt8] = []
        JSONText.appendInteger(UInt64.max, to: &out)
        #expect(String(decoding: out, as: UTF8.self) == "18446744073709551615")
        out = []
        JSONText.appendInteger(Int64.min, to: &out)
        #expect(String(decoding: out, as: UTF8.self) == "-9223372036854775808")
    }

    @Test(arguments: [(Int64(-500), "-0.500"), (-1, "-0.001"), (-1_500, "-1.500"), (1_500, "1.500"), (0, "0.000"),
                      (.min, "-9223372036854775.808"), (.max, "9223372036854775.807")])
    func timesKeepTheirSignBelowAMillisecond(micros: Int64, text: String) {
        var out: [UInt8] = []
        JSONText.appendMilliseconds(fromMicros: micros, to: &out)
        #expect(String(decoding: out, as: UTF8.self) == text)
    }

    @Test(arguments: ["x", "pitch", "temp_1", "Wärme", "温度", "a.b"])
    func namesASketchPrintsAreNames(name: String) {
        #expect(ChannelLayout.isValidName(name.utf8))
    }

    @Test(arguments: [" ", "a b", "a\u{85}", "\u{202E}evil", "a\u{2028}b", "a\u{A0}b", "a\u{200B}", "x\u{7F}", "", "1a", "a,b"])
    func namesThatHideOrBreakALineAreNot(name: String) {
        #expect(!ChannelLayout.isValidName(name.utf8))
    }

    @Test func aLogBudgetShowsAFewLinesAWindowAndCountsTheRest() {
        var budget = LogBudget(linesPerWindow: 3)
        var shown = 0
        var reported = 0
        for event in 0..<100_000 {
            let (show, notShown) = budget.admit(nowMicros: Int64(event) * 100)  // 10 000 a second for 10 s
            if show { shown += 1 }
            reported += notShown
        }
        reported += budget.flush(nowMicros: 20_000_000)
        #expect(shown == 30, "3 lines in each of the 10 seconds")
        #expect(shown + reported == 100_000, "every event shown or counted")
        let again = budget.flush(nowMicros: 30_000_000)
        #expect(again == 0, "nothing is reported twice")
    }

    @Test func aLogBudgetSurvivesAClockThatJumps() {
        var budget = LogBudget(linesPerWindow: 1)
        let first = budget.admit(nowMicros: .max).show
        let steppedBack = budget.admit(nowMicros: .min).show
        let again = budget.admit(nowMicros: .min).show
        let flushed = budget.flush(nowMicros: .max)
        #expect(first)
        #expect(steppedBack, "a clock stepped back starts a new window")
        #expect(!again)
        #expect(flushed == 1)
    }

    @Test func aTokenBucketAllowsItsRateAndNoMore() {
        var bucket = TokenBucket(perSecond: 10)
        var burst = 0
        for _ in 0..<20 where bucket.take(nowMicros: 0) { burst += 1 }
        #expect(burst == 10, "a burst of 10")
        let early = bucket.take(nowMicros: 50_000)
        let earned = bucket.take(nowMicros: 100_000)
        let steppedBack = bucket.take(nowMicros: .min)
        let farAhead = bucket.take(nowMicros: .max)
        #expect(!early)
        #expect(earned, "a tenth of a second earns one")
        #expect(!steppedBack, "a clock stepped back refills nothing")
        #expect(farAhead, "and one far ahead only fills the burst")
        var refill = 0
        for _ in 0..<20 where bucket.take(nowMicros: .max) { refill += 1 }
        #expect(refill == 9)
    }
}

struct CommandLineQuantityTests {
    @Test(arguments: [("90", 90.0), ("90s", 90), ("10m", 600), ("1.5h", 5400), ("7d", 604_800), ("2w", 1_209_600), ("0.5", 0.5)])
    func durationsReadAsWritten(text: String, seconds: Double) {
        #expect(DurationText.seconds(text) == seconds)
    }

    @Test(arguments: ["", "m", "-1m", "nan", "inf", "1e300", "10x", "1 m", "١٠m", "999999999999d"])
    func notADurationIsRefused(text: String) {
        #expect(DurationText.seconds(text) == nil)
    }

    @Test(arguments: [("65536", 65536), ("512K", 524_288), ("64M", 67_108_864), ("64MiB", 67_108_864), ("2g", 2_147_483_648), ("1.5K", 1536)])
    func sizesReadAsWritten(text: String, bytes: Int) {
        #expect(ByteSizeText.bytes(text) == bytes)
    }

    @Test(arguments: ["", "M", "-5M", "1e30", "nan", "2P", "5T"])
    func notASizeIsRefused(text: String) {
        #expect(ByteSizeText.bytes(text) == nil)
    }
}
