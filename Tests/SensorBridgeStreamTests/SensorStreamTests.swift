import Foundation
import Logging
import SensorBridgeCore
import Synchronization
import Testing
@testable import SensorBridgeStream

private func sample(_ values: [Double], at micros: Int64, layout: ChannelLayout = .defaultNames(count: 3)) -> Sample {
    Sample(timeMicros: micros, values: values, layout: layout)
}

private func describe(_ events: [StreamEvent]) -> [String] {
    events.map { event in
        switch event.kind {
        case .sample(let sample): "#\(event.sampleSequence) \(sample.values.map { Int($0) })"
        case .source(let state, _): "\(state.rawValue) before #\(event.sampleSequence)"
        case .lost(let lines): "\(lines) lost before #\(event.sampleSequence)"
        }
    }
}

struct SensorStreamTests {
    @Test func samplesAndStateChangesKeepOneOrderAndSamplesKeepDenseNumbers() {
        let stream = SensorStream(source: SourceStatus(kind: .serial, name: "t", baud: nil))
        stream.updateSource(state: .connected, detail: "on")
        stream.publish(sample([1], at: 10))
        stream.publish(sample([2], at: 20))
        stream.updateSource(state: .disconnected, detail: "gone")
        stream.updateSource(state: .connected, detail: "back")
        stream.publish(sample([3], at: 30))
        #expect(describe(stream.read(from: 0).elements) == [
            "connected before #0", "#0 [1]", "#1 [2]", "disconnected before #2", "connected before #2", "#2 [3]",
        ])
        #expect(stream.sampleWindow.next == 3)
        #expect(stream.reconnects == 1, "the first connection is not a reconnect")
        #expect(stream.sourceStatus.detail == "back")
    }

    @Test func everySubscriberIsWokenUntilItsSubscriptionEnds() {
        let stream = SensorStream(source: SourceStatus(kind: .serial, name: "t", baud: nil))
        let first = Atomic<Int>(0), second = Atomic<Int>(0)
        let one = stream.subscribe { first.add(1, ordering: .relaxed) }
        var two: StreamSubscription? = stream.subscribe { second.add(1, ordering: .relaxed) }
        stream.publish(sample([1], at: 1))
        stream.updateSource(state: .stopped, detail: "")
        #expect(first.load(ordering: .relaxed) == 2)
        #expect(second.load(ordering: .relaxed) == 2)
        _ = two
        two = nil  // freed: no more wake-ups
        one.cancel()
        stream.publish(sample([2], at: 2))
        #expect(first.load(ordering: .relaxed) == 2)
        #expect(second.load(ordering: .relaxed) == 2)
    }

    @Test func aLateJoinerStartsAtTheHistoryItAskedForOrResumesAfterItsLastSample() {
        let stream = SensorStream(source: SourceStatus(kind: .serial, name: "t", baud: nil), capacity: 8, historySeconds: 2)
        let now: Int64 = 100_000_000
        for second in 0..<5 { stream.publish(sample([Double(second)], at: now - Int64(4 - second) * 1_000_000)) }
        stream.updateSource(state: .disconnected, detail: "gone", nowMicros: now)
        // Default history (2 s): samples at now-2, now-1, now → #2 on.
        #expect(stream.start(nowMicros: now) == .init(event: 2, sample: 2))
        #expect(stream.start(historyMicros: 0, nowMicros: now + 1) == .init(event: 6, sample: 5))
        // Resuming after #3: #4, then the state change that followed it.
        #expect(stream.start(resumeStream: stream.streamID, resumeAfter: 3, nowMicros: now) == .init(event: 4, sample: 4))
        // Another stream's numbers mean nothing here: history applies.
        #expect(stream.start(resumeStream: "other", resumeAfter: 3, nowMicros: now) == .init(event: 2, sample: 2))
        // After 8 more samples the ring (8) no longer holds #4: the start is the oldest
        // held, and the expected sample says what was missed.
        for value in 0..<8 { stream.publish(sample([Double(value)], at: now + 1)) }
        let resumed = stream.start(resumeStream: stream.streamID, resumeAfter: 3, nowMicros: now + 1)
        #expect(resumed.sample == 4)
        #expect(resumed.event == stream.oldestEvent)
        #expect(stream.read(from: resumed.event, limit: 1).elements.first?.sampleSequence == 5)
    }

    @Test func aHistoryStartKeepsInsideAFullRingSoItsOldestSamplesAreStillThereWhenRead() {
        let capacity = 64
        let stream = SensorStream(source: SourceStatus(kind: .serial, name: "t", baud: nil), capacity: capacity, historySeconds: 600)
        let now: Int64 = 100_000_000
        // Not full: all of it, from the oldest.
        for index in 0..<40 { stream.publish(sample([Double(index)], at: now - 1_000 + Int64(index))) }
        #expect(stream.start(nowMicros: now) == .init(event: 0, sample: 0))
        // Full: the oldest events go as new ones come, so the start keeps a 32nd inside.
        for index in 40..<200 { stream.publish(sample([Double(index)], at: now - 1_000 + Int64(index))) }
        let oldest = stream.oldestEvent
        #expect(oldest == 200 - UInt64(capacity))
        let start = stream.start(nowMicros: now)
        #expect(start.event == oldest + SensorStream.startHeadroom(held: UInt64(capacity)))
        #expect(SensorStream.startHeadroom(held: UInt64(capacity)) == 2)
        #expect(start.sample == start.event)  // one sample an event here
        // Two more samples push out the two oldest: what the start promised is still held.
        for index in 200..<202 { stream.publish(sample([Double(index)], at: now)) }
        #expect(stream.read(from: start.event, limit: 1).missed == 0)
        // A start asked for inside what is held is not moved.
        #expect(stream.start(historyMicros: 100, nowMicros: now).event > start.event)
    }

    @Test func aRingBoundedByBytesStillGivesANewcomerNearlyAllItHolds() {
        // A million events allowed, 1 MiB: the bytes bind long before the count.
        let stream = SensorStream(source: SourceStatus(kind: .serial, name: "t", baud: nil), capacity: 1_000_000, maxBytes: 1 << 20,
                                  historySeconds: 600)
        let now: Int64 = 100_000_000
        for index in 0..<20_000 { stream.publish(sample([1, 2, 3], at: now - 20_000 + Int64(index))) }
        let held = stream.nextEvent - stream.oldestEvent
        #expect(held < 20_000, "the byte bound binds: \(held) held")
        let start = stream.start(nowMicros: now)
        #expect(start.event == stream.oldestEvent + held / 32, "a 32nd of what is held, not of the capacity")
        #expect(stream.nextEvent - start.event > held * 9 / 10)
    }

    @Test func linesLostOnTheWireGoIntoTheStreamBeforeTheSampleAfterThemAndAreCounted() {
        let stream = SensorStream(source: SourceStatus(kind: .serial, name: "t", baud: nil))
        stream.publish(sample([1], at: 1))
        var after = sample([2], at: 2)
        after.linesLostBefore = 3
        stream.publish(after)
        let events = stream.read(from: 0).elements
        #expect(events.count == 3)
        guard case .lost(let lines) = events[1].kind else { Issue.record("\(events[1].kind)"); return }
        #expect(lines == 3 && events[1].sampleSequence == 1 && events[2].sampleSequence == 1)
        #expect(stream.linesLost == 3)
        var pieces: [String] = []
        StreamEvent.pieces(events, firstEvent: 0) { piece in
            switch piece {
            case .samples(let run, _, let first): pieces.append("samples \(first)+\(run.count)")
            case .lost(let lines, let event, let next): pieces.append("lost \(lines) at \(event) before #\(next)")
            case .stateChange: pieces.append("state")
            }
        }
        #expect(pieces == ["samples 0+1", "lost 3 at 1 before #1", "samples 1+1"])
    }

    @Test func theRateCountsOnlySamplesOfTheWindow() {
        let stream = SensorStream(source: SourceStatus(kind: .serial, name: "t", baud: nil))
        for index in 0..<10 { stream.publish(sample([1], at: Int64(index) * 100)) }
        stream.updateSource(state: .stopped, detail: "", nowMicros: 1_000)
        #expect(stream.samples(sinceMicros: 500) == 5)
        #expect(stream.samples(sinceMicros: 2_000) == 0)
    }
}

struct IngestPipelineTests {
    /// A subscriber woken per sample could serve the first of a read alone and the rest a
    /// moment later; one read is one wake-up, with every sample of it already in the stream.
    @Test func oneReadWakesTheSubscribersOnceWithAllItsSamples() {
        let stream = SensorStream(source: SourceStatus(kind: .serial, name: "t", baud: nil))
        let pipeline = IngestPipeline(stream: stream, logger: Logger(label: "test"))
        let wakes = Atomic<Int>(0)
        let seenAtFirstWake = Atomic<Int>(-1)
        let subscription = stream.subscribe {
            if wakes.wrappingAdd(1, ordering: .relaxed).oldValue == 0 {
                seenAtFirstWake.store(Int(stream.sampleWindow.next), ordering: .relaxed)
            }
        }
        pipeline.ingest(ArraySlice("1,2\n3,4\n5,6\nnot a number\n7,8\n".utf8), receivedMicros: 1_000_000)
        #expect(wakes.load(ordering: .relaxed) == 1)
        #expect(seenAtFirstWake.load(ordering: .relaxed) == 4)
        // A read with no whole line wakes nobody.
        pipeline.ingest(ArraySlice("9,1".utf8), receivedMicros: 1_001_000)
        #expect(wakes.load(ordering: .relaxed) == 1)
        pipeline.ingest(ArraySlice("0\n".utf8), receivedMicros: 1_002_000)
        #expect(wakes.load(ordering: .relaxed) == 2)
        #expect(stream.sampleWindow.next == 5)
        subscription.cancel()
    }

    @Test func bytesBecomeCountedSamplesInTheStreamAndRecordedLines() throws {
        let stream = SensorStream(source: SourceStatus(kind: .serial, name: "t", baud: nil))
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("ingest-\(UUID()).log").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let recorder = try Recorder(path: path, source: "test", logger: Logger(label: "test"))
        let pipeline = IngestPipeline(stream: stream, recorder: recorder, logger: Logger(label: "test"))
        pipeline.sourceChanged(.connected, detail: "first")
        pipeline.ingest(Array("1,2,3\r\n4,5,6\r\n7,8".utf8)[...], receivedMicros: 1_000)
        // The board was replugged: the half line belongs to the old connection.
        pipeline.sourceChanged(.disconnected, detail: "gone")
        pipeline.sourceChanged(.connected, detail: "back")
        pipeline.ingest(Array(",9\r\nnot numbers\r\n10,11,12\n".utf8)[...], receivedMicros: 2_000)
        pipeline.close()

        #expect(describe(stream.read(from: 0).elements) == [
            "connected before #0", "#0 [1, 2, 3]", "#1 [4, 5, 6]", "disconnected before #2", "connected before #2",
            "#2 [10, 11, 12]",
        ])
        let counts = stream.statistics.snapshot
        #expect(counts.samples == 3)
        #expect(counts.lines == 5)
        #expect(counts.bytes == 43)
        #expect(counts.parseErrorTotal == 2, "',9' (the rest of the dropped line) and 'not numbers'")
        // The recording holds every complete line, rejected ones included, for a faithful replay.
        let (chunks, skipped) = RecordingFormat.parse(Array(try Data(contentsOf: URL(fileURLWithPath: path))))
        #expect(skipped.isEmpty)
        #expect(chunks.map { String(decoding: $0.bytes, as: UTF8.self) } == ["1,2,3\n", "4,5,6\n", ",9\n", "not numbers\n", "10,11,12\n"])
    }
}

struct ReplaySourceTests {
    @Test func aReplayAtFullSpeedDeliversEveryLineThenSaysItFinished() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("replay-\(UUID()).raw").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try (0..<500).map { "\($0),\($0 * 2)\n" }.joined().write(toFile: path, atomically: true, encoding: .utf8)
        let stream = SensorStream(source: SourceStatus(kind: .replay, name: path, baud: nil), capacity: 1024)
        let pipeline = IngestPipeline(stream: stream, logger: Logger(label: "test"))
        let replay = ReplaySource(file: ReplayFile(path: path, rawLineRate: 50), speed: 0, loop: false, logger: Logger(label: "test"))
        try replay.start(into: pipeline)
        let deadline = Date().addingTimeInterval(10)
        while stream.sourceStatus.state != .finished && Date() < deadline { usleep(5_000) }
        replay.stop()
        let events = stream.read(from: 0).elements
        let values: [[Double]] = events.compactMap { $0.sample?.values }
        let expected: [[Double]] = (0..<500).map { (index: Int) -> [Double] in [Double(index), Double(index * 2)] }
        #expect(values == expected)
        #expect(describe([events.first!, events.last!]) == ["connected before #0", "finished before #500"])
        #expect(stream.sourceStatus.detail.contains("after 500 lines"))
    }

    /// What a source handed over: each ingest's bytes and time, and its changes of state.
    final class SinkLog: ByteSink, @unchecked Sendable {
        private let lock = NSLock()
        private var reads: [(bytes: [UInt8], micros: Int64)] = []
        private var states: [SourceStatus.State] = []
        func ingest(_ bytes: ArraySlice<UInt8>, receivedMicros: Int64) {
            lock.withLock { reads.append((Array(bytes), receivedMicros)) }
        }
        func sourceChanged(_ state: SourceStatus.State, detail: String) { lock.withLock { states.append(state) } }
        var snapshot: (reads: [(bytes: [UInt8], micros: Int64)], states: [SourceStatus.State]) { lock.withLock { (reads, states) } }
    }

    @Test func aReplayAtFullSpeedHandsOverBlocksOfLinesNotLineByLine() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("replay-\(UUID()).raw").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        // Every terminator, lines cut by the reader's 64 KiB blocks, a labelled line now and then.
        let lines = (0..<20_000).map { index in
            (index % 997 == 0 ? "a:\(index)" : "\(index),\(index % 7)") + ["\n", "\r\n", "\r"][index % 3]
        }
        let text = lines.joined()
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        let sink = SinkLog()
        let replay = ReplaySource(file: ReplayFile(path: path, rawLineRate: 50), speed: 0, loop: false, logger: Logger(label: "test"))
        try replay.start(into: sink)
        let deadline = Date().addingTimeInterval(10)
        while !sink.snapshot.states.contains(.finished) && Date() < deadline { usleep(5_000) }
        replay.stop()
        let (reads, states) = sink.snapshot
        #expect(states == [.connected, .finished])
        // The capture, byte for byte, in reads of at most the gathering's size and a line.
        #expect(reads.flatMap(\.bytes) == Array(text.utf8))
        let longest = lines.map(\.utf8.count).max()!
        #expect(reads.allSatisfy { $0.bytes.count < ReplaySource.batchBytes + longest }, "\(reads.map(\.bytes.count))")
        // 154 KB: about ten gathered reads, and one more where each 64 KiB block ends.
        #expect(reads.count >= text.utf8.count / (ReplaySource.batchBytes + longest) && reads.count <= 20,
                "\(reads.count) reads for 20 000 lines")
    }

    @Test func aReplayInTimeHandsOverEachLineWhenItIsDueNotWithTheNext() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("replay-\(UUID()).raw").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try (0..<4).map { "\($0)\n" }.joined().write(toFile: path, atomically: true, encoding: .utf8)
        let sink = SinkLog()
        // 2 lines a second: line i is due 500 ms × i after the start.
        let replay = ReplaySource(file: ReplayFile(path: path, rawLineRate: 2), speed: 1, loop: false, logger: Logger(label: "test"))
        let before = WallClock.nowMicros()
        try replay.start(into: sink)
        let deadline = Date().addingTimeInterval(10)
        while !sink.snapshot.states.contains(.finished) && Date() < deadline { usleep(5_000) }
        replay.stop()
        // When each line reached the sink (the time of the read that held it).
        var stamps: [Int64] = []
        for read in sink.snapshot.reads {
            for byte in read.bytes where byte == UInt8(ascii: "\n") { stamps.append(read.micros) }
        }
        #expect(sink.snapshot.reads.flatMap(\.bytes) == Array("0\n1\n2\n3\n".utf8))
        for (line, stamp) in stamps.enumerated() {
            // Never before its time (a late wake-up only delays it), and not held for the next
            // line's (half a second: room for a loaded machine's lateness).
            #expect(stamp - before >= Int64(line) * 500_000 - 1_000, "line \(line) at \(stamp - before) µs")
            #expect(stamp - before < Int64(line + 1) * 500_000, "line \(line) at \(stamp - before) µs")
        }
    }

    @Test func aReplayStoppedByTheBridgeSaysStoppedNotFinished() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("replay-\(UUID()).raw").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try (0..<500).map { "\($0)\n" }.joined().write(toFile: path, atomically: true, encoding: .utf8)
        let stream = SensorStream(source: SourceStatus(kind: .replay, name: path, baud: nil), capacity: 1024)
        let pipeline = IngestPipeline(stream: stream, logger: Logger(label: "test"))
        // 50 lines a second: 10 s of lines, stopped after a few.
        let replay = ReplaySource(file: ReplayFile(path: path, rawLineRate: 50), speed: 1, loop: false, logger: Logger(label: "test"))
        try replay.start(into: pipeline)
        let deadline = Date().addingTimeInterval(10)
        while stream.statistics.snapshot.samples < 3 && Date() < deadline { usleep(5_000) }
        #expect(stream.statistics.snapshot.samples >= 3, "the replay was under way")
        replay.stop()
        #expect(stream.sourceStatus.state == .stopped)
        #expect(stream.sourceStatus.detail.hasPrefix("replay of \(path) stopped after "))
    }

    @Test func aFileWithNothingToReplayIsRefusedAtStart() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("empty-\(UUID()).log").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        #expect(FileManager.default.createFile(atPath: path, contents: Data()))
        let replay = ReplaySource(file: ReplayFile(path: path, rawLineRate: 50), speed: 1, loop: false, logger: Logger(label: "test"))
        let stream = SensorStream(source: SourceStatus(kind: .replay, name: path, baud: nil))
        #expect(throws: SourceError.self) { try replay.start(into: IngestPipeline(stream: stream, logger: Logger(label: "test"))) }
    }
}

struct SourceThreadTests {
    /// The store's writer sleeps half a second between flushes: a stop must not wait for it
    /// (nor, as before, cost a wake-up every 50 ms to notice).
    @Test func aLongSleepEndsAtOnceWhenTheThreadIsStopped() {
        let thread = SourceThread()
        let woke = Atomic<Int64>(0)
        let began = WallClock.monotonicMicros()
        thread.start(name: "sleeper") {
            thread.sleep(untilMonotonicMicros: began + 60_000_000)
            woke.store(WallClock.monotonicMicros(), ordering: .releasing)
            // A stopped thread's later sleeps end at once too.
            thread.sleep(untilMonotonicMicros: WallClock.monotonicMicros() + 60_000_000)
        }
        usleep(50_000)
        #expect(woke.load(ordering: .acquiring) == 0, "still asleep before the stop")
        thread.stop()
        let elapsed = WallClock.monotonicMicros() - began
        #expect(woke.load(ordering: .acquiring) > 0)
        #expect(elapsed < 30_000_000, "stopped after \(elapsed) µs, not after the minute it slept for")
    }

    @Test func aSleepToAPassedOrAbsurdDeadlineReturnsAtOnce() {
        let thread = SourceThread()
        let began = WallClock.monotonicMicros()
        thread.sleep(untilMonotonicMicros: began - 1_000_000)
        thread.sleep(untilMonotonicMicros: .min)
        #expect(WallClock.monotonicMicros() - began < 5_000_000)
    }
}
