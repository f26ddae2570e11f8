import SensorBridgeCore
import SensorBridgeStream
import Testing
@testable import SensorBridgeServer

/// A chunk's place, as `FrameLog` would hand it (the bytes are not the cursor's business).
private struct Chunk: CursorChunk {
    var number: UInt64
    var firstEvent: UInt64
    var endEvent: UInt64
    var firstSample: UInt64
    var endSample: UInt64
    var layoutBefore: ChannelLayout?
    var layoutAfter: ChannelLayout?
    var isStateChange = false

    /// A run of samples, one event each.
    static func samples(_ number: UInt64, events: Range<UInt64>, samples: Range<UInt64>,
                        layout: ChannelLayout?, after: ChannelLayout? = nil) -> Chunk {
        Chunk(number: number, firstEvent: events.lowerBound, endEvent: events.upperBound, firstSample: samples.lowerBound,
              endSample: samples.upperBound, layoutBefore: layout, layoutAfter: after ?? layout)
    }

    static func stateChange(_ number: UInt64, event: UInt64, sample: UInt64, layout: ChannelLayout?) -> Chunk {
        Chunk(number: number, firstEvent: event, endEvent: event + 1, firstSample: sample, endSample: sample,
              layoutBefore: layout, layoutAfter: layout, isStateChange: true)
    }
}

private let xyz = ChannelLayout.defaultNames(count: 3)
private let ab = ChannelLayout(names: ["a", "b"], isNamedByDevice: true)

private func run(_ count: Int, layout: ChannelLayout = xyz) -> [Sample] {
    (0..<count).map { Sample(timeMicros: Int64($0), values: [1, 2, 3], layout: layout) }
}

@Suite struct ClientCursorTests {
    @Test func samplesMissedBeforeAChunkAreOneGapThenTheCursorFollowsTheChunks() {
        var cursor = ClientCursor(joinEvent: 10, event: 10, sample: 10, chunk: 3, layout: xyz)
        let first = cursor.deliver(Chunk.samples(3, events: 20..<30, samples: 15..<25, layout: xyz))
        #expect(first == ClientCursor.Step(gap: .init(missed: 5, resume: 15), channels: nil, writes: true))
        #expect(cursor.nextChunk == 4 && cursor.nextEvent == 30 && cursor.nextSample == 25)
        let second = cursor.deliver(Chunk.samples(4, events: 30..<35, samples: 25..<30, layout: xyz))
        #expect(second.gap == nil, "the chunk starts where the last one ended")
        #expect(cursor.samplesBehind(next: 32) == 2 && cursor.samplesBehind(next: 20) == 0)
    }

    @Test func chunksOwedOnlyTheirSharedBytesAreTakenTogetherAndAnythingElseMovesNothing() {
        var cursor = ClientCursor(joinEvent: 5, event: 10, sample: 10, chunk: 3, layout: xyz)
        let plain = [Chunk.samples(3, events: 10..<18, samples: 10..<18, layout: xyz),
                     Chunk.stateChange(4, event: 18, sample: 18, layout: xyz),
                     Chunk.samples(5, events: 19..<27, samples: 18..<26, layout: xyz)]
        let took = cursor.deliverPlain(plain)
        #expect(took)
        #expect(cursor.nextChunk == 6 && cursor.nextSample == 26 && cursor.hasAll(streamNextEvent: 27))
        // A gap, new channels, or a state change older than the greeting each need their own
        // writes: the cursor stays where it was, for the chunk-by-chunk path.
        let refused: [[Chunk]] = [
            [Chunk.samples(6, events: 27..<30, samples: 26..<29, layout: xyz), Chunk.samples(7, events: 30..<32, samples: 40..<42, layout: xyz)],
            [Chunk.samples(6, events: 27..<30, samples: 26..<29, layout: xyz), Chunk.samples(7, events: 30..<32, samples: 29..<31, layout: ab)],
        ]
        for chunks in refused {
            let before = cursor
            let tookThese = cursor.deliverPlain(chunks)
            #expect(!tookThese)
            #expect(cursor == before)
        }
        var late = ClientCursor(joinEvent: 40, event: 27, sample: 26, chunk: 6, layout: xyz)
        let before = late
        let tookOld = late.deliverPlain([Chunk.stateChange(6, event: 27, sample: 26, layout: xyz),
                                         Chunk.samples(7, events: 28..<30, samples: 26..<28, layout: xyz)])
        #expect(!tookOld)
        #expect(late == before)
    }

    @Test func aChangeOfChannelsIsAnnouncedOnce() {
        var cursor = ClientCursor(layout: xyz)
        #expect(cursor.deliver(Chunk.samples(0, events: 0..<2, samples: 0..<2, layout: xyz)).channels == nil,
                "the greeting said these")
        let changed = cursor.deliver(Chunk.samples(1, events: 2..<4, samples: 2..<4, layout: ab))
        #expect(changed.channels === ab)
        #expect(cursor.deliver(Chunk.samples(2, events: 4..<6, samples: 4..<6, layout: ab)).channels == nil)
        // A change inside a chunk is in its shared bytes: the next chunk needs no announcement.
        _ = cursor.deliver(Chunk.samples(3, events: 6..<8, samples: 6..<8, layout: ab, after: xyz))
        #expect(cursor.deliver(Chunk.samples(4, events: 8..<9, samples: 8..<9, layout: xyz)).channels == nil)
        #expect(cursor.announcedLayout === xyz)
    }

    @Test func aClientThatCameBeforeAnyChannelsIsToldTheFirstOnes() {
        var cursor = ClientCursor(layout: nil)
        #expect(cursor.deliver(Chunk.samples(0, events: 0..<1, samples: 0..<1, layout: xyz)).channels === xyz)
    }

    @Test func stateChangesOlderThanTheGreetingAreSkipped() {
        var cursor = ClientCursor(joinEvent: 5, event: 3, sample: 3, chunk: 0, layout: xyz)
        let old = cursor.deliver(Chunk.stateChange(0, event: 3, sample: 3, layout: xyz))
        #expect(old == ClientCursor.Step(gap: nil, channels: nil, writes: false))
        #expect(cursor.nextChunk == 1 && cursor.nextEvent == 4, "skipped, but passed")
        _ = cursor.deliver(Chunk.samples(1, events: 4..<5, samples: 3..<4, layout: xyz))
        #expect(cursor.deliver(Chunk.stateChange(2, event: 5, sample: 4, layout: xyz)).writes, "news since the greeting")
        #expect(cursor.nextSample == 4)
        // The same rule in the head, made for the client alone.
        var joining = ClientCursor(joinEvent: 5, event: 2)
        #expect(!joining.head(.stateChange(.disconnected, detail: "", event: 2, sampleSequence: 0)).writes)
        #expect(joining.head(.stateChange(.connected, detail: "", event: 6, sampleSequence: 0)).writes)
    }

    @Test func aLostNoticeInTheHeadComesAfterAnyGapBeforeIt() {
        var cursor = ClientCursor(joinEvent: 20, event: 0, sample: 0, chunk: 1)
        #expect(cursor.head(.samples(run(2), firstEvent: 0, firstSample: 0)) == ClientCursor.Step(gap: nil, channels: nil, writes: true))
        #expect(cursor.nextSample == 2)
        // Lines lost on the wire take no sample numbers: in order, no gap.
        #expect(cursor.head(.lost(lines: 4, event: 2, sampleSequence: 2)) == ClientCursor.Step(gap: nil, channels: nil, writes: true))
        #expect(cursor.nextSample == 2)
        // After samples the client never got, the gap first, then the notice.
        let late = cursor.head(.lost(lines: 1, event: 9, sampleSequence: 7))
        #expect(late == ClientCursor.Step(gap: .init(missed: 5, resume: 7), channels: nil, writes: true))
        #expect(cursor.nextSample == 7)
    }

    @Test func afterAHeadTheCursorReadsTheNextWholeChunk() {
        // Joined at event 2, inside chunk 0 (events 0..<5): events 2..<5 are its own, then chunk 1.
        var cursor = ClientCursor(joinEvent: 5, event: 2, sample: 2, chunk: 1, layout: xyz)
        #expect(cursor.head(.samples(run(3), firstEvent: 2, firstSample: 2)).gap == nil)
        cursor.finishHead(at: 5)
        #expect(cursor.nextEvent == 5 && cursor.nextSample == 5 && cursor.nextChunk == 1)
        #expect(cursor.hasAll(streamNextEvent: 5) && !cursor.hasAll(streamNextEvent: 6))
        let step = cursor.deliver(Chunk.samples(1, events: 5..<8, samples: 5..<8, layout: xyz))
        #expect(step == ClientCursor.Step(gap: nil, channels: nil, writes: true))
        #expect(cursor.nextChunk == 2 && cursor.nextEvent == 8 && cursor.nextSample == 8)
    }

    @Test func itFollowsARealFrameLog() throws {
        let stream = SensorStream(source: SourceStatus(kind: .serial, name: "unit", baud: nil, state: .connected), capacity: 64)
        let log = FrameLog(format: BatchedFormat(framing: .webSocket), stream: stream)
        for index in 0..<3 { stream.publish(Sample(timeMicros: Int64(index), values: [1, 2, 3], layout: xyz)) }
        stream.updateSource(state: .disconnected, detail: "unplugged")
        var cursor = ClientCursor(joinEvent: stream.nextEvent, layout: nil)
        stream.updateSource(state: .connected, detail: "")
        stream.publish(Sample(timeMicros: 9, values: [4, 5], layout: ab))
        let steps = log.read(from: 0, maxSamples: .max).map { cursor.deliver($0) }
        try #require(steps.count == 4, "three samples, two state changes, one more sample: four chunks")
        #expect(steps.map(\.writes) == [true, false, true, true], "the state change before the join is skipped")
        #expect(steps[0].channels === xyz && steps[3].channels == nil, "the change to a, b is in the shared bytes")
        #expect(cursor.nextSample == 4 && cursor.nextEvent == stream.nextEvent && cursor.announcedLayout === ab)
    }
}
