import Foundation
import Testing
@testable import SensorBridgeCore

struct RecordingTests {
    @Test func entriesRoundTripEveryByte() throws {
        let lines: [[UInt8]] = [Array("512,498,620".utf8), [0x00, 0xFF, UInt8(ascii: "\\"), UInt8(ascii: "x"), 0x7F], Array("é".utf8)]
        var file = Array(RecordingFormat.header(startedMicros: 1_763_683_200_000_001, source: "test").utf8)
        for (index, line) in lines.enumerated() {
            file += RecordingFormat.entry(offsetMicros: Int64(index) * 20_001 + 7, line: line)
        }
        let chunks = try RecordingFormat.parse(file)
        #expect(chunks.map(\.bytes) == lines.map { $0 + [10] })
        #expect(chunks.map(\.offsetMicros) == [7, 20_008, 40_009])
    }

    @Test func timeStampsAreReadExactly() {
        #expect(RecordingFormat.parseSeconds(ArraySlice("12.345678".utf8)) == 12_345_678)
        #expect(RecordingFormat.parseSeconds(ArraySlice("0.5".utf8)) == 500_000)
        #expect(RecordingFormat.parseSeconds(ArraySlice("3".utf8)) == 3_000_000)
        #expect(RecordingFormat.parseSeconds(ArraySlice("-1.0".utf8)) == nil)
        #expect(RecordingFormat.parseSeconds(ArraySlice("1.1234567".utf8)) == nil)
    }

    @Test func badRecordingsSayWhere() {
        let bad = Array("\(RecordingFormat.magic)\n0.0 1,2,3\nnonsense\n".utf8)
        #expect(throws: RecordingFormat.ReadError.badLine(number: 3, reason: "expected '<seconds> <line>'")) {
            try RecordingFormat.parse(bad)
        }
        #expect(throws: RecordingFormat.ReadError.badLine(number: 2, reason: "bad escape")) {
            try RecordingFormat.parse(Array("\(RecordingFormat.magic)\n0.0 a\\q\n".utf8))
        }
    }

    @Test func rawCaptureIsPacedByLineRate() throws {
        let log = try ReplayLog(data: Array("1,2,3\r\n4,5,6\r\n7,8,9\r\npartial".utf8), rawLineRate: 50)
        #expect(log.kind == .rawCapture)
        #expect(log.chunks.map(\.offsetMicros) == [0, 20_000, 40_000, 60_000])
        #expect(log.chunks.map { String(decoding: $0.bytes, as: UTF8.self) } == ["1,2,3\r\n", "4,5,6\r\n", "7,8,9\r\n", "partial"])
    }

    @Test func recordingIsRecognised() throws {
        let data = Array("\(RecordingFormat.magic)\n# started 1.0 source x\n0.000000 1\n0.020000 2\n".utf8)
        let log = try ReplayLog(data: data, rawLineRate: 50)
        #expect(log.kind == .recording)
        #expect(log.durationMicros == 20_000)
    }

    @Test func shippedRecordingIsSixtySecondsAtFiftyHertz() throws {
        let path = URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("hardware/recordings/tilt-60s-50hz.log").path
        let data = try #require(FileManager.default.contents(atPath: path))
        let log = try ReplayLog(data: Array(data), rawLineRate: 50)
        #expect(log.kind == .recording)
        #expect(log.chunks.count == 3000)
        #expect(log.durationMicros >= 59_900_000)
        var decoder = SampleDecoder()
        var samples = 0
        for chunk in log.chunks { decoder.feed(chunk.bytes, receivedMicros: chunk.offsetMicros) { _ in samples += 1 } }
        #expect(samples == 3000)
        #expect(decoder.statistics.snapshot.parseErrorTotal == 0)
    }
}
