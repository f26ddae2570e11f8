import Foundation
import Testing
@testable import SensorBridgeCore

struct SampleDecoderTests {
    @Test func resetNoiseCaptureLosesOnlyTheBrokenLines() throws {
        let path = URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("hardware/recordings/reset-noise-10s.raw").path
        let data = try #require(FileManager.default.contents(atPath: path))
        var decoder = SampleDecoder()
        var samples: [Sample] = []
        // Arbitrary read sizes, as a UART delivers them.
        var offset = 0
        var size = 1
        let bytes = Array(data)
        while offset < bytes.count {
            let end = min(bytes.count, offset + size)
            decoder.feed(bytes[offset..<end], receivedMicros: Int64(offset)) { samples.append($0) }
            offset = end
            size = size % 37 + 3
        }
        let counts = decoder.statistics.snapshot
        // 500 lines were generated: the first is a fragment, line 251 was cut by the reset.
        // The fragment ("7,406") is held and dropped when the header's lines disagree; the cut
        // line merges with the garbage (a NUL among it) into one rejected line; the banner is prose.
        #expect(samples.count == 498)
        #expect(samples.allSatisfy { $0.values.count == 3 && $0.layout.names == ["x", "y", "z"] })
        #expect(counts.parseErrors[.nulByte] == 1)
        #expect(counts.parseErrors[.notANumber] == 1)
        #expect(counts.parseErrors[.layoutMismatch] == 1)
        #expect(counts.headers == 2)
        #expect(counts.parseErrorTotal == 3)
    }

    @Test func linesReachTheRecorderAndErrorsTheirHandler() {
        var decoder = SampleDecoder()
        var lines: [String] = []
        var errors: [ParseErrorKind] = []
        var samples = 0
        decoder.feed(Array("1,2,3\nhello world\n4,5,6\n".utf8), receivedMicros: 0,
                     onLine: { lines.append(String(decoding: $0, as: UTF8.self)) },
                     onError: { kind, _ in errors.append(kind) },
                     onSample: { _ in samples += 1 })
        #expect(lines == ["1,2,3", "hello world", "4,5,6"])
        #expect(errors == [.notANumber])
        #expect(samples == 2)
        #expect(decoder.statistics.snapshot.bytes == 24)
    }
}
