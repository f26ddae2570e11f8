import Foundation
import Testing
import TestSupport
import SensorBridgeCore
@testable import SensorBridgeStream

struct HistoryRingTests {
    @Test func readsWhatWasWrittenInOrder() {
        let ring = HistoryRing<Int>(capacity: 8)
        for value in 0..<5 { ring.append(value) }
        let batch = ring.read(from: 0)
        #expect(batch.elements == [0, 1, 2, 3, 4])
        #expect(batch.first == 0)
        #expect(batch.missed == 0)
        #expect(batch.next == 5)
        #expect(ring.read(from: batch.next).elements.isEmpty)
    }

    @Test func limitSplitsAReadAndTheCursorContinues() {
        let ring = HistoryRing<Int>(capacity: 8)
        for value in 0..<6 { ring.append(value) }
        let first = ring.read(from: 0, limit: 4)
        let second = ring.read(from: first.next, limit: 4)
        #expect(first.elements == [0, 1, 2, 3])
        #expect(second.elements == [4, 5])
        #expect(second.first == 4)
    }

    @Test func aReaderThatFellBehindSkipsAheadAndLearnsHowManyItMissed() {
        let ring = HistoryRing<Int>(capacity: 4)
        for value in 0..<10 { ring.append(value) }
        let batch = ring.read(from: 1)
        #expect(batch.missed == 5)  // 1...5 were overwritten
        #expect(batch.first == 6)
        #expect(batch.elements == [6, 7, 8, 9])
        #expect(ring.oldestSequence == 6)
    }

    @Test func isFullWhenTheNextAppendPushesOutTheOldestByCountOrByBytes() {
        let byCount = HistoryRing<Int>(capacity: 4)
        for value in 0..<3 { byCount.append(value) }
        #expect(byCount.fullness == (false, 3))
        byCount.append(3)
        #expect(byCount.fullness == (true, 4))
        let byBytes = HistoryRing<Int>(capacity: 100, maxBytes: 160, cost: { $0 })
        byBytes.append(100)
        #expect(byBytes.fullness == (false, 1))
        byBytes.append(50)  // 150 of 160: within a sixteenth
        #expect(byBytes.fullness == (true, 2))
    }

    @Test func readersHaveIndependentCursors() {
        let ring = HistoryRing<Int>(capacity: 16)
        var cursors: [UInt64] = Array(repeating: 0, count: 50)
        var seen = Array(repeating: [Int](), count: 50)
        for round in 0..<4 {
            for value in (round * 3)..<(round * 3 + 3) { ring.append(value) }
            for reader in cursors.indices where reader % (round + 1) == 0 {
                let batch = ring.read(from: cursors[reader])
                seen[reader] += batch.elements
                cursors[reader] = batch.next
            }
        }
        for reader in cursors.indices {
            let rest = ring.read(from: cursors[reader])
            seen[reader] += rest.elements
            #expect(seen[reader] == Array(0..<12), "reader \(reader)")
        }
    }

    @Test func memoryIsBoundedByCapacityWhateverTheReaders() {
        let ring = HistoryRing<[UInt8]>(capacity: 32)
        for value in 0..<10_000 { ring.append([UInt8(truncatingIfNeeded: value)]) }
        #expect(ring.read(from: 0).elements.count == 32)
        #expect(ring.nextSequence == 10_000)
    }

    @Test func concurrentWriterAndReadersSeeEverythingInOrderOrAreToldWhatTheyMissed() async {
        let ring = HistoryRing<Int>(capacity: 256)
        let total = 200_000
        await withTaskGroup(of: (Int, UInt64).self) { group in
            for _ in 0..<4 {
                group.addTask {
                    var cursor: UInt64 = 0
                    var received = 0
                    var missed: UInt64 = 0
                    var expectedNext = 0
                    while cursor < UInt64(total) {
                        let batch = ring.read(from: cursor, limit: 64)
                        missed += batch.missed
                        for (offset, value) in batch.elements.enumerated() {
                            // Each value is its own sequence number: order and position hold.
                            if value != Int(batch.first) + offset || value < expectedNext { return (-1, 0) }
                            expectedNext = value + 1
                        }
                        received += batch.elements.count
                        cursor = batch.next
                        if batch.elements.isEmpty { await Task.yield() }
                    }
                    return (received, missed)
                }
            }
            for value in 0..<total { ring.append(value) }
            for await (received, missed) in group {
                // A reader that saw items out of order says -1: a failure, not a trap here.
                guard received >= 0 else {
                    Issue.record("a reader saw items out of order")
                    continue
                }
                #expect(UInt64(received) + missed == UInt64(total))
            }
        }
    }

    @Test func firstSequenceFindsTheStartOfHistory() {
        let ring = HistoryRing<Int>(capacity: 8)
        for value in [10, 20, 30, 40, 50] { ring.append(value) }
        #expect(ring.firstSequence { $0 >= 30 } == 2)
        #expect(ring.firstSequence { $0 >= 0 } == 0)
        #expect(ring.firstSequence { $0 >= 99 } == 5)
        for value in [60, 70, 80, 90] { ring.append(value) }  // 10 is overwritten
        #expect(ring.firstSequence { $0 >= 0 } == 1)
    }
}

struct HistoryRingGatheringTests {
    @Test func appendingGatheredHoldsWhatAppendingEachInTurnShouldHold() {
        // Items of every size, some over the whole byte bound, in runs of every length,
        // against a plain model of the two bounds: at most `capacity` items, and the oldest
        // dropped while they cost more than `maxBytes`, the newest always kept.
        for seed in 1...20 {
            var random = SeededRandom(seed: UInt64(seed))
            let one = HistoryRing<[Double]>(capacity: 16, maxBytes: 400, cost: { $0.count * 8 })
            let gathered = HistoryRing<[Double]>(capacity: 16, maxBytes: 400, cost: { $0.count * 8 })
            var model: [[Double]] = []
            var appended: UInt64 = 0
            var value = 0.0
            for _ in 0..<100 {
                let run = (0..<Int.random(in: 0...40, using: &random)).map { _ -> [Double] in
                    value += 1
                    let widest = Int.random(in: 0..<20, using: &random) == 0 ? 60 : 6
                    return Array(repeating: value, count: Int.random(in: 1...widest, using: &random))
                }
                for item in run {
                    one.append(item)
                    model.append(item)
                    if model.count > 16 { model.removeFirst() }
                    while model.count > 1, model.reduce(0, { $0 + $1.count * 8 }) > 400 { model.removeFirst() }
                }
                appended += UInt64(run.count)
                gathered.append { add in for item in run { add(item) } }
                for ring in [one, gathered] {
                    let batch = ring.read(from: 0)
                    #expect(batch.elements == model, "seed \(seed)")
                    #expect(batch.next == appended && ring.nextSequence == appended)
                    #expect(batch.first == appended - UInt64(model.count))
                    #expect(ring.heldBytes == model.reduce(0, { $0 + $1.count * 8 }), "seed \(seed)")
                }
            }
        }
    }
}

struct HistoryRingByteBoundTests {
    @Test func bigItemsMakeTheRingHoldFewerNeverMoreThanItsBytes() {
        let ring = HistoryRing<[Double]>(capacity: 1000, maxBytes: 8_000, cost: { $0.count * 8 })
        for index in 0..<100 { ring.append([Double(index)]) }
        #expect(ring.oldestSequence == 0 && ring.heldBytes == 800, "small items: the count is the bound")
        ring.append(Array(repeating: 1, count: 500))  // 4000 bytes
        #expect(ring.heldBytes <= 8_000 && ring.oldestSequence == 0)
        ring.append(Array(repeating: 2, count: 500))
        #expect(ring.heldBytes <= 8_000, "the oldest went to make room: \(ring.heldBytes)")
        let batch = ring.read(from: 0)
        #expect(batch.missed == batch.first && batch.first > 0, "a reader is told what it missed")
        #expect(batch.elements.last?.count == 500)
        ring.append(Array(repeating: 3, count: 5_000))  // one item over the whole bound
        #expect(ring.read(from: 0).elements.map(\.count) == [5_000], "the newest is always held")
        for index in 0..<2000 { ring.append([Double(index)]) }
        #expect(ring.heldBytes == 8_000 && ring.read(from: 0).elements.count == 1000, "back to the count bound")
    }

    @Test func aStreamOfWideSamplesStaysWithinItsBytes() {
        let stream = SensorStream(source: SourceStatus(kind: .mqtt, name: "x", baud: nil), capacity: 65_536, maxBytes: 1 << 20)
        let wide = ChannelLayout.defaultNames(count: 64)
        for index in 0..<10_000 {
            stream.publish(Sample(timeMicros: Int64(index), values: Array(repeating: 1, count: 64), layout: wide))
        }
        #expect(stream.heldBytes <= 1 << 20)
        let window = stream.sampleWindow
        #expect(window.next == 10_000 && window.oldest > 9_000, "about a thousand samples of 64 values fit a MiB")
        // A status flood with long details does not grow it either.
        for _ in 0..<1_000 { stream.updateSource(state: .connected, detail: String(repeating: "x", count: 4_000)) }
        #expect(stream.heldBytes <= 1 << 20)
    }

    @Test func theLineMonitorTakesAnyNumber() {
        let monitor = LineMonitor(capacity: 4)
        monitor.received(Array("1,2,3".utf8), micros: 0)
        #expect(monitor.entries(after: .max).isEmpty, "/api/lines?after=18446744073709551615")
        #expect(monitor.entries(after: 0).count == 1)
    }
}
