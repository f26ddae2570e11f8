import Testing
import TestSupport
@testable import SensorBridgeCore

/// What came out of a parser for a list of lines, in order, in a form tests can compare
/// (NaN, a missing series, becomes nil).
private struct Parsed {
    var samples: [(names: [String], values: [Double?], line: Int)] = []
    var rejected: [(kind: ParseErrorKind, text: String)] = []
    var headers = 0
    var messages = 0

    var values: [[Double?]] { samples.map(\.values) }
    var names: [[String]] { samples.map(\.names) }
    var rejectedKinds: [ParseErrorKind] { rejected.map(\.kind) }
}

private func parse(_ lines: [String], relayoutAfter: Int = 3) -> Parsed {
    var parser = LineParser(relayoutAfter: relayoutAfter)
    var out = Parsed()
    for (number, line) in lines.enumerated() {
        // The line's number stands in for its arrival time, so tests see which line a sample came from.
        parser.parse(Array(line.utf8), receivedMicros: Int64(number)) { event in
            switch event {
            case .sample(let values, let layout, let micros):
                out.samples.append((layout.names, values.map { $0.isNaN ? nil : $0 }, Int(micros)))
            case .rejected(let kind, let text):
                out.rejected.append((kind, String(decoding: text, as: UTF8.self)))
            case .header:
                out.headers += 1
            case .held:
                break
            case .message:
                out.messages += 1
            }
        }
    }
    return out
}

struct LineParserTests {
    // MARK: Formats

    @Test func seedSketchFormat() {
        let out = parse(["512,498,620", "007,010,999"])
        #expect(out.values == [[512, 498, 620], [7, 10, 999]])
        #expect(out.names[0] == ["x", "y", "z"])
        #expect(out.samples.map(\.line) == [0, 1], "each sample keeps its own line's time")
    }

    /// The sketch's replies to commands (`# rate 100 Hz`) sit between readings without
    /// becoming samples, errors, or a break in the header's claim on the next line.
    @Test func linesStartingWithAHashAreMessagesFromTheSketch() {
        let out = parse(["a,b,c", "# rate 100 Hz, channels x:A0", "1,2,3", "# 4,5,6", "7,8,9"])
        #expect(out.values == [[1, 2, 3], [7, 8, 9]])
        #expect(out.names[0] == ["a", "b", "c"])
        #expect(out.messages == 2)
        #expect(out.rejected.isEmpty)
    }

    @Test(arguments: [
        "512 498 620", "512\t498\t620", "512, 498, 620", "512;498;620", "  512   498 620  ", "512,498,620,",
    ])
    func separatedNumbers(line: String) {
        #expect(parse([line, line]).values == [[512, 498, 620], [512, 498, 620]])
    }

    @Test func decimalsAndExponents() {
        let line = "-0.98,1.5e2,+3,.5,2.,1E-3"
        #expect(parse([line, line]).values[0] == [-0.98, 150, 3, 0.5, 2, 0.001])
    }

    @Test(arguments: ["x:512,y:498,z:620", "x:512 y:498 z:620", "x: 512\ty: 498\tz: 620"])
    func serialPlotterPairs(line: String) {
        let out = parse([line])
        #expect(out.values == [[512, 498, 620]], "a labelled line is accepted at once")
        #expect(out.names == [["x", "y", "z"]])
    }

    @Test(arguments: ["AcX = 1 | AcY = -2 | AcZ = 16384", "AcX=1,AcY=-2,AcZ=16384", "AcX=1 AcY=-2 AcZ=16384"])
    func nameValuePairs(line: String) {
        let out = parse([line])
        #expect(out.values == [[1, -2, 16384]])
        #expect(out.names == [["AcX", "AcY", "AcZ"]])
    }

    @Test func manyChannelsGetNumberedNames() {
        #expect(parse(["1 2 3 4 5 6", "1 2 3 4 5 6"]).names[0] == ["ch1", "ch2", "ch3", "ch4", "ch5", "ch6"])
    }

    @Test func samplesShareOneLayoutInstance() {
        var parser = LineParser()
        var layouts: [ChannelLayout] = []
        for line in ["1,2,3", "4,5,6", "7,8,9"] {
            parser.parse(Array(line.utf8), receivedMicros: 0) { event in
                if case .sample(_, let layout, _) = event { layouts.append(layout) }
            }
        }
        #expect(layouts.count == 3)
        #expect(layouts.allSatisfy { $0 === layouts[0] })
    }

    // MARK: Labels are series

    @Test func alternatingLabelsAreTwoSeries() {
        let out = parse(["temp:21.5", "hum:40", "temp:21.6", "hum:41"])
        #expect(out.rejected.isEmpty)
        #expect(out.names == [["temp"], ["temp", "hum"], ["temp", "hum"], ["temp", "hum"]])
        #expect(out.values == [[21.5], [nil, 40], [21.6, nil], [nil, 41]])
    }

    @Test func aLineMayCarryAnySubsetOfTheKnownLabels() {
        let out = parse(["pitch:1,roll:2,yaw:3", "roll:5", "yaw:6,pitch:4", "pitch:7,roll:8,yaw:9"])
        #expect(out.rejected.isEmpty)
        #expect(Set(out.names.map { $0 }) == [["pitch", "roll", "yaw"]])
        #expect(out.values == [[1, 2, 3], [nil, 5, nil], [4, nil, 6], [7, 8, 9]])
    }

    @Test func aNewLabelAddsASeriesAndTheLineIsAcceptedAtOnce() {
        // After a stable layout, the first line of a new labelled shape is not lost.
        let out = parse(["a:1,b:2", "a:1,b:2", "a:1,b:2", "a:3,b:4,c:5", "c:6"])
        #expect(out.rejected.isEmpty)
        #expect(out.samples.count == 5)
        #expect(out.names[3] == ["a", "b", "c"])
        #expect(out.values[3] == [3, 4, 5])
        #expect(out.values[4] == [nil, nil, 6])
    }

    @Test func labelledLinesReplaceAPositionalLayoutAtOnce() {
        let out = parse(["1,2,3", "1,2,3", "pitch:10,roll:20,yaw:30", "pitch:11,roll:21,yaw:31"])
        #expect(out.rejected.isEmpty)
        #expect(out.names.suffix(2) == [["pitch", "roll", "yaw"], ["pitch", "roll", "yaw"]])
    }

    @Test func tooManyLabelsAreRefusedNotGrownWithoutBound() {
        let many = (0...LineParser.maxChannels).map { "s\($0):1" }.joined(separator: ",")
        let out = parse([many, "a:1"])
        #expect(out.rejectedKinds == [.tooManyChannels])
        #expect(out.values == [[1]])
    }

    /// Issue 19: once 64 labels had been seen, new ones were refused until a restart.
    @Test func labelsIdleLongerThanTheForgetTimeGiveTheirPlaceToNewOnes() {
        var parser = LineParser(forgetSeriesAfterMicros: 600_000_000)
        var samples: [(names: [String], values: [Double])] = []
        var rejected: [ParseErrorKind] = []
        func feed(_ line: String, at seconds: Int64) {
            parser.parse(Array(line.utf8), receivedMicros: seconds * 1_000_000) { event in
                switch event {
                case .sample(let values, let layout, _): samples.append((layout.names, values))
                case .rejected(let kind, _): rejected.append(kind)
                default: break
                }
            }
        }
        // A sketch that used 64 labels an hour ago, and still prints `t` and `h`.
        for index in 0..<62 { feed("old\(index):\(index)", at: 0) }
        feed("t:20,h:40", at: 0)
        feed("t:21,h:41", at: 3_000)
        feed("new1:1", at: 3_000)
        #expect(rejected.isEmpty, "an idle label made room")
        #expect(samples.last?.names.count == 64 && samples.last?.names.contains("new1") == true)
        #expect(samples.last?.names.contains("old0") == false, "the label idle longest went first")
        #expect(samples.last?.names.contains("t") == true && samples.last?.names.contains("h") == true, "labels in use stay")
        // Only idle ones go: a label seen a minute ago keeps its place.
        for index in 0..<63 { feed("x\(index):1", at: 3_100) }
        let refusedBefore = rejected.count
        feed("x99:1", at: 3_160)
        #expect(rejected.count == refusedBefore + 1 && rejected.last == .tooManyChannels, "all 64 seen within 10 min: refused")
        // Values keep to their own series across the change.
        feed("t:22,new2:7", at: 4_000)
        let last = samples[samples.count - 1]
        #expect(last.values[last.names.firstIndex(of: "t")!] == 22 && last.values[last.names.firstIndex(of: "new2")!] == 7)
        #expect(last.values.filter { !$0.isNaN }.count == 2)
    }

    // MARK: Headers

    @Test func headerNamesTheNumbersThatFollow() {
        let out = parse(["ax,ay,az", "1,2,3", "4,5,6"])
        #expect(out.headers == 1)
        #expect(out.names == [["ax", "ay", "az"], ["ax", "ay", "az"]])
        #expect(out.values == [[1, 2, 3], [4, 5, 6]], "at the start a header confirms its first line at once")
    }

    @Test func tabSeparatedHeader() {
        #expect(parse(["accel_x\taccel_y", "1\t2"]).names == [["accel_x", "accel_y"]])
    }

    @Test func aHeaderThatDoesNotMatchTheNextLineIsIgnored() {
        let out = parse(["1,2,3", "4,5,6", "a,b", "7,8,9", "10,11,12"])
        #expect(out.rejected.isEmpty)
        #expect(out.values == [[1, 2, 3], [4, 5, 6], [7, 8, 9], [10, 11, 12]])
        #expect(out.names.allSatisfy { $0 == ["x", "y", "z"] })
    }

    @Test func aHeaderAppliesOnlyToTheLineRightAfterIt() {
        // A noise header far before a matching line does not rename the channels.
        let out = parse(["1,2", "3,4", "p,q,r", "5,6", "7,8,9", "7,8,9", "7,8,9"])
        #expect(out.names.last == ["x", "y", "z"])
    }

    @Test func aRepeatedHeaderKeepsTheLayout() {
        var parser = LineParser()
        var layouts: [ChannelLayout] = []
        for line in ["ax,ay", "1,2", "ax,ay", "3,4"] {
            parser.parse(Array(line.utf8), receivedMicros: 0) { event in
                if case .sample(_, let layout, _) = event { layouts.append(layout) }
            }
        }
        #expect(layouts.count == 2)
        #expect(layouts[0] === layouts[1])
    }

    // MARK: Noise and half lines

    @Test func badLinesAreRejectedByKind() {
        let out = parse([
            "1,2,3", "1,2,3", "1\u{0}2", "ADXL335 ready", "1,abc,3", "1,nan,3", "1,inf,3", "0x10,2,3",
            "1,,3", ",1,2", "x:1,y:,z:3", "x:1,y:two,z:3", "98,620", "4,5,6",
        ])
        #expect(out.rejectedKinds == [
            .nulByte, .notANumber, .notANumber, .notANumber, .notANumber, .notANumber,
            .emptyField, .emptyField, .emptyField, .notANumber, .layoutMismatch,
        ])
        #expect(out.values.last == [4, 5, 6], "the stream goes on after every one of them")
        var parser = LineParser()
        var kinds: [ParseErrorKind] = []
        for line in [[0xFF, 0xFE, UInt8(ascii: "1")], [UInt8(ascii: "1"), 0xC3]] {
            parser.parse(line, receivedMicros: 0) { if case .rejected(let kind, _) = $0 { kinds.append(kind) } }
        }
        #expect(kinds == [.invalidUTF8, .invalidUTF8])
    }

    @Test func aNoiseHeaderCostsNoValidLine() {
        // The fuzz finding: `a,b` was taken as a header and the next two valid lines rejected.
        let out = parse(["1,2,3", "1,2,3", "a,b", "4,5,6", "7,8,9", "a,b", "10,11,12"])
        #expect(out.values.suffix(3) == [[4, 5, 6], [7, 8, 9], [10, 11, 12]])
        #expect(out.rejected.isEmpty)
    }

    @Test func noiseIsNeverSentAsASample() {
        // Lines of another shape between valid ones: `[t,0]` and `[t,1,…,9]` used to go out.
        let out = parse(["512,498,620", "513,497,621", "0", "1 2 3 4 5 6 7 8 9", "514,496,622", "0", "515,495,623"])
        #expect(out.values == [[512, 498, 620], [513, 497, 621], [514, 496, 622], [515, 495, 623]])
        #expect(out.rejected.map(\.text) == ["0", "1 2 3 4 5 6 7 8 9", "0"])
        #expect(out.rejectedKinds.allSatisfy { $0 == .layoutMismatch })
    }

    @Test func noiseRightAfterARelayoutIsNotTakenAsTheNewShape() {
        let out = parse(["1,2,3", "1,2,3", "1,2", "1,2", "1,2", "7", "1,2"])
        #expect(out.values == [[1, 2, 3], [1, 2, 3], [1, 2], [1, 2], [1, 2], [1, 2]])
        #expect(out.rejected.map(\.text) == ["7"])
    }

    @Test func noiseBeforeValidLinesAtTheStartLosesNothingValid() {
        let out = parse(["garbage!", "7,406", "x", "512,498,620", "513,497,621", "514,496,622"])
        #expect(out.values == [[512, 498, 620], [513, 497, 621], [514, 496, 622]])
        #expect(out.samples.map(\.line) == [3, 4, 5])
    }

    @Test func aFragmentAsTheVeryFirstLineIsDroppedNotSent() {
        // The port was opened in the middle of a line.
        let out = parse(["98,620", "512,498,620", "513,497,621"])
        #expect(out.values == [[512, 498, 620], [513, 497, 621]])
        #expect(out.rejected.map(\.text) == ["98,620"])
    }

    @Test func aHalfLineAfterTheStreamIsEstablishedIsRejected() {
        let out = parse(["512,498,620", "513,497,621", "97,621", "514,496,622"])
        #expect(out.values == [[512, 498, 620], [513, 497, 621], [514, 496, 622]])
        #expect(out.rejectedKinds == [.layoutMismatch])
    }

    @Test func aLastingChangeOfShapeIsTakenAfterThreeLinesAndLosesNone() {
        let out = parse(["1,2,3", "1,2,3", "4,5", "6,7", "8,9", "10,11"])
        #expect(out.rejected.isEmpty)
        #expect(out.values == [[1, 2, 3], [1, 2, 3], [4, 5], [6, 7], [8, 9], [10, 11]])
        #expect(out.names.last == ["x", "y"])
        #expect(out.samples.map(\.line) == [0, 1, 2, 3, 4, 5], "held lines come out with their own times, in order")
    }

    @Test func randomNoiseNeverCostsAValidLine() {
        // A deterministic fuzz: valid lines of a confirmed 3-channel stream with noise between
        // them, up to two noise lines in a row (three that agree are a new shape, by design).
        var generator = SeededRandom(seed: 8)
        let noise = ["a,b", "a,b,c", "0", "1 2 3 4 5 6 7 8 9", "x", "##", "12,", "5,6", "hello world", "\u{1}\u{2}", ",,", "q=", "1.2.3"]
        var lines = ["1,2,3", "1,2,3"]
        var valid = 2
        var noiseInARow = 0
        for index in 0..<5_000 {
            if generator.next() % 2 == 0, noiseInARow < 2 {
                lines.append(noise[Int(generator.next() % UInt64(noise.count))])
                noiseInARow += 1
            } else {
                noiseInARow = 0
                lines.append("\(index),\(index + 1),\(index + 2)")
                valid += 1
            }
        }
        let out = parse(lines)
        // A noise header of three names may rename the channels; it never costs a valid line.
        #expect(out.samples.count == valid)
        #expect(out.values.allSatisfy { $0.count == 3 })
    }
}
