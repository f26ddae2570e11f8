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
        let (chunks, skipped) = RecordingFormat.parse(file)
        #expect(skipped.isEmpty)
        #expect(chunks.map(\.bytes) == lines.map { $0 + [10] })
        #expect(chunks.map(\.offsetMicros) == [7, 20_008, 40_009])
    }

    @Test func timeStampsAreReadExactly() {
        #expect(RecordingFormat.parseSeconds(ArraySlice("12.345678".utf8)) == 12_345_678)
        #expect(RecordingFormat.parseSeconds(ArraySlice("0.5".utf8)) == 500_000)
        #expect(RecordingFormat.parseSeconds(ArraySlice("3".utf8)) == 3_000_000)
        #expect(RecordingFormat.parseSeconds(ArraySlice("-1.0".utf8)) == -1_000_000, "the clock stepped back while recording")
        #expect(RecordingFormat.parseSeconds(ArraySlice("--1.0".utf8)) == nil)
        #expect(RecordingFormat.parseSeconds(ArraySlice("-9223372036854.775808".utf8)) == .min)
        #expect(RecordingFormat.parseSeconds(ArraySlice("1.1234567".utf8)) == nil)
        for bad in ["", ".5", "12.", "1.2.3", "1e3", "99999999999999999999.0", "9223372036855.0", "9223372036854.775808", "1 .5"] {
            #expect(RecordingFormat.parseSeconds(ArraySlice(bad.utf8)) == nil, "\(bad)")
        }
        #expect(RecordingFormat.parseSeconds(ArraySlice("9223372036854.775807".utf8)) == 9_223_372_036_854_775_807)
    }

    @Test func badAndTornLinesAreSkippedAndSaidWhereNotFatal() {
        let text = "\(RecordingFormat.magic)\n0.0 1,2,3\nnonsense\n0.02 a\\q\nx.5 4,5,6\n0.04 7,8,9\n0.06 10,1"
        let (chunks, skipped) = RecordingFormat.parse(Array(text.utf8))
        #expect(chunks.map { String(decoding: $0.bytes, as: UTF8.self) } == ["1,2,3\n", "7,8,9\n"])
        #expect(skipped.map(\.line) == [3, 4, 5, 7])
        #expect(skipped.map(\.reason) == ["expected '<seconds> <line>'", "bad escape", "bad time stamp",
                                          "cut off: no newline at the end of the file"])
    }

    /// The fuzzer's `negative-offset`: a line before the start (a clock stepped back) was
    /// written as `0.0000-1` and could not be replayed; `tiny-rate`: a raw capture at 1e-300
    /// lines a second trapped converting its times.
    @Test(arguments: [Int64(-1), -1_500_000, .min, .max, 0, 59_999_999])
    func everyOffsetIsWrittenSoThatItReadsBack(offset: Int64) {
        let entry = RecordingFormat.entry(offsetMicros: offset, line: Array("512,498,620".utf8))
        #expect(RecordingFormat.readLine(entry.dropLast()[...]) == .entry(TimedChunk(offsetMicros: offset, bytes: Array("512,498,620\n".utf8))))
    }

    @Test func aRawCaptureAtATinyRateDoesNotTrap() {
        let (kind, events) = read(Array("1,2\n3,4\n5,6\n".utf8), blocks: 4, rate: 1e-300)
        #expect(kind == .rawCapture)
        let offsets: [Int64] = events.compactMap { if case .chunk(let chunk) = $0 { chunk.offsetMicros } else { nil } }
        #expect(offsets == [0, .max, .max])
    }

    @Test(arguments: ["\\x+f", "\\x-0", "\\x 1", "\\xg0", "\\x0"])
    func anEscapeIsTwoHexDigitsNothingElse(escape: String) {
        let text = "\(RecordingFormat.magic)\n0.0 a\(escape)\n"
        let (chunks, skipped) = RecordingFormat.parse(Array(text.utf8))
        #expect(chunks.isEmpty && skipped.map(\.reason) == ["bad escape"], "\(escape): \(chunks)")
    }

    /// Feeds `data` in blocks of `size` bytes, as a file is read.
    private func read(_ data: [UInt8], blocks size: Int, rate: Double = 50) -> (ReplayReader.Kind?, [ReplayReader.Event]) {
        var reader = ReplayReader(rawLineRate: rate)
        var events: [ReplayReader.Event] = []
        var index = 0
        while index < data.count {
            reader.feed(data[index..<min(index + size, data.count)]) { events.append($0) }
            index += size
        }
        reader.finish { events.append($0) }
        return (reader.kind, events)
    }

    @Test func rawCaptureIsPacedByLineRateWhateverTheBlockSize() {
        let data = Array("1,2,3\r\n4,5,6\r\n7,8,9\r10\npartial".utf8)
        for size in [1, 2, 3, 7, 1000] {
            let (kind, events) = read(data, blocks: size)
            #expect(kind == .rawCapture)
            let chunks = events.compactMap { event -> TimedChunk? in if case .chunk(let chunk) = event { chunk } else { nil } }
            #expect(chunks.map(\.offsetMicros) == [0, 20_000, 40_000, 60_000, 80_000], "block \(size)")
            #expect(chunks.map { String(decoding: $0.bytes, as: UTF8.self) } == ["1,2,3\r\n", "4,5,6\r\n", "7,8,9\r", "10\n", "partial"])
        }
    }

    @Test func aRecordingReadsTheSameInBlocksOfAnySize() {
        var file = Array(RecordingFormat.header(startedMicros: 1_000_000, source: "x").utf8)
        for index in 0..<50 { file += RecordingFormat.entry(offsetMicros: Int64(index) * 20_000, line: Array("\(index),1,2".utf8)) }
        let whole = read(file, blocks: file.count)
        #expect(whole.0 == .recording)
        #expect(whole.1.count == 50)
        for size in [1, 5, 64] { #expect(read(file, blocks: size).1 == whole.1) }
    }

    @Test func anOverlongLineIsSkippedWithoutBeingKept() {
        let long = [UInt8](repeating: UInt8(ascii: "7"), count: ReplayReader.maxLineBytes * 3)
        let data = Array("\(RecordingFormat.magic)\n0.0 ".utf8) + long + Array("\n0.5 1,2,3\n".utf8)
        let (_, events) = read(data, blocks: 4096)
        #expect(events == [.skipped(line: 2, reason: "longer than \(ReplayReader.maxLineBytes) bytes"),
                           .chunk(TimedChunk(offsetMicros: 500_000, bytes: Array("1,2,3\n".utf8)))])
    }

    @Test func shippedRecordingIsSixtySecondsAtFiftyHertz() throws {
        let path = URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("hardware/recordings/tilt-60s-50hz.log").path
        let data = try #require(FileManager.default.contents(atPath: path))
        let (kind, events) = read(Array(data), blocks: 65_536)
        #expect(kind == .recording)
        let chunks = events.compactMap { event -> TimedChunk? in if case .chunk(let chunk) = event { chunk } else { nil } }
        #expect(chunks.count == 3000)
        #expect(chunks.last!.offsetMicros - chunks.first!.offsetMicros >= 59_900_000)
        var decoder = SampleDecoder()
        var samples = 0
        for chunk in chunks { decoder.feed(chunk.bytes, receivedMicros: chunk.offsetMicros) { _ in samples += 1 } }
        #expect(samples == 3000)
        #expect(decoder.statistics.snapshot.parseErrorTotal == 0)
    }
}
