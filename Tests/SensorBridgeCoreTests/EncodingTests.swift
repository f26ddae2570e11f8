import Foundation
import Testing
@testable import SensorBridgeCore

struct EncodingTests {
    private func text(_ bytes: [UInt8]) -> String { String(decoding: bytes, as: UTF8.self) }
    private let xyz = ChannelLayout.defaultNames(count: 3)

    @Test func defaultStreamIsTheOriginalsArrayWithNumbers() throws {
        let sample = Sample(timeMicros: 1_763_683_200_123_456, values: [512, 498, 620], layout: xyz)
        let encoded = SampleJSON.encode(sample)
        #expect(text(encoded) == "[1763683200123.456,512,498,620]")
        let decoded = try JSONSerialization.jsonObject(with: Data(encoded)) as? [Double]
        #expect(decoded == [1763683200123.456, 512, 498, 620])
    }

    @Test func decimalsStayExactAndMillisecondsArePadded() {
        let sample = Sample(timeMicros: 5_007, values: [-0.98, 150, 0.001, -3], layout: ChannelLayout.defaultNames(count: 4))
        #expect(text(SampleJSON.encode(sample)) == "[5.007,-0.98,150,0.001,-3]")
    }

    @Test func stringsAreEscaped() {
        var out: [UInt8] = []
        JSONText.appendString("a\"b\\c\n\u{1}", to: &out)
        #expect(text(out) == #""a\"b\\c\n\u0001""#)
    }

    @Test func batchMessagesAreValidJSON() throws {
        let messages: [[UInt8]] = [
            BatchMessages.hello(source: "/dev/ttyACM0", stream: "k3x9", channels: ["x", "y", "z"], first: 17,
                                historySamples: 250, state: "connected", detail: "reading \"it\""),
            BatchMessages.channels(["a\"b"], from: 7),
            BatchMessages.samplesPrefix(first: 3) + Array("[1.000,1,2],[2.000,3,4]".utf8) + BatchMessages.samplesSuffix,
            BatchMessages.gap(missed: 100, resume: 1000),
            BatchMessages.status(state: "disconnected", detail: "unplugged"),
        ]
        for message in messages {
            let object = try JSONSerialization.jsonObject(with: Data(message)) as? [String: Any]
            #expect(object?["type"] is String, "\(text(message))")
        }
        let samples = try JSONSerialization.jsonObject(with: Data(messages[2])) as? [String: Any]
        #expect(samples?["seq"] as? Int == 3)
        #expect((samples?["samples"] as? [[Double]])?.count == 2)
        let hello = try JSONSerialization.jsonObject(with: Data(messages[0])) as? [String: Any]
        #expect(hello?["stream"] as? String == "k3x9")
        #expect(hello?["seq"] as? Int == 17)
        #expect(hello?["detail"] as? String == #"reading "it""#)
    }

    @Test func aMissingSeriesIsNull() {
        let sample = Sample(timeMicros: 1_000, values: [.nan, 2], layout: ChannelLayout(names: ["a", "b"], isNamedByDevice: true))
        #expect(text(SampleJSON.encode(sample)) == "[1.000,null,2]")
    }

    @Test func integersAreWrittenDigitByDigitAtEveryMagnitude() {
        for value: Int64 in [0, 7, -7, 10, 99, 100, -1000, 1_234_567_890_123, .max, .min, .min + 1] {
            var out: [UInt8] = [UInt8(ascii: "x")]
            JSONText.appendInteger(value, to: &out)
            #expect(String(decoding: out, as: UTF8.self) == "x\(value)")
        }
    }

    @Test func integersParseExactlyAndEverythingElseFallsBackToTheFullSyntax() {
        let cases: [(String, Double?)] = [
            ("512", 512), ("+3", 3), ("-0", 0), ("007", 7), ("-1023", -1023),
            ("123456789012345", 123_456_789_012_345), ("1234567890123456789", Double("1234567890123456789")),
            ("1.5e2", 150), ("-0.98", -0.98), ("", nil), ("-", nil), ("+", nil), ("12a", nil), ("inf", nil), ("0x10", nil),
        ]
        for (text, expected) in cases {
            #expect(NumberSyntax.parse(Array(text.utf8)) == expected, "\(text)")
        }
    }
}
