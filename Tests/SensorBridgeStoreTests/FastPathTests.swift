import PropertyBased
import Testing
import TestSupport
@testable import SensorBridgeCore

/// The import's fast path (`PlainNumbers` in `LineParser`, `SampleDecoder.feedLine`,
/// `ReplayReader.feed(entry:)`) must give exactly what the general path gives, line for line:
/// samples (values bit for bit, layouts), errors, counters.
struct FastPathTests {
    /// A line of a sketch's output, or of noise: mostly numbers of the shape in force, in every
    /// syntax the parser knows and some it refuses, with every separator and terminator.
    static func line(shape: Int, using random: inout SeededRandom) -> String {
        func digits(_ range: ClosedRange<Int>) -> String {
            String((0..<Int.random(in: range, using: &random)).map { _ in "0123456789".randomElement(using: &random)! })
        }
        func number() -> String {
            let sign = ["", "", "-", "+"].randomElement(using: &random)!
            let whole = Int.random(in: 0..<8, using: &random) == 0 ? digits(13...40) : digits(1...6)
            var text = sign + whole
            switch Int.random(in: 0..<6, using: &random) {
            case 0, 1: text += "." + digits(1...12)
            case 2: text += "." + digits(0...3) + ["e", "E"].randomElement(using: &random)! + ["", "-", "+"].randomElement(using: &random)! + digits(0...4)
            case 3 where Bool.random(using: &random): text += "."
            default: break
            }
            return text
        }
        let odd = ["nan", "NaN", "inf", "-inf", "Infinity", ".5", "-.25", "5.", "+", "-", "", "0x1F", "1e400", "-1e-400",
                   "x", "y", "z", "AcX", "x:1", "y=2", "AcX = 3", "#", "\u{0}", "é", "1_0", "|", "--1", "1-", "0.0", "-0"]
        func token() -> String { Int.random(in: 0..<8, using: &random) == 0 ? odd.randomElement(using: &random)! : number() }
        let count = Int.random(in: 0..<5, using: &random) == 0 ? Int.random(in: 0...6, using: &random) : shape
        let separators = [",", ",", " ", "\t", ";", ", ", " , ", "  ", ",,", "|", "\u{0B}", ";;", "\t\t"]
        var text = ["", "", "", " ", ",", "\t", "#"].randomElement(using: &random)!
        for index in 0..<count {
            if index > 0 { text += separators.randomElement(using: &random)! }
            text += token()
        }
        text += ["", "", "", ",", " ", ";", "\t", ",,", "\r"].randomElement(using: &random)!
        if Int.random(in: 0..<30, using: &random) == 0 { text = "x,y,z" }
        if Int.random(in: 0..<40, using: &random) == 0 { text = "" }
        return text
    }

    /// What a decoder made of its input.
    struct Outcome: Equatable {
        var samples: [[UInt64]] = []
        var names: [[String]] = []
        var times: [Int64] = []
        var errors: [ParseErrorKind] = []
        var rejected: [[UInt8]?] = []
        /// What `onLine` saw (what the recorder and the raw monitor get).
        var lines: [[UInt8]] = []
    }

    static func record(_ outcome: inout Outcome, _ sample: Sample) {
        outcome.samples.append(sample.values.map(\.bitPattern))
        outcome.names.append(sample.layout.names)
        outcome.times.append(sample.timeMicros)
    }

    @Test func fastPathReadsWhatTheGeneralPathReads() async {
        await propertyCheck(count: 400, input: Gen.int64(in: Int64.min...Int64.max), Gen.int(in: 1...6)) { seed, shape in
            var random = SeededRandom(seed: UInt64(bitPattern: seed))
            let lines = (0..<Int.random(in: 1...60, using: &random)).map { _ in Array(Self.line(shape: shape, using: &random).utf8) }
            // Whole lines (a recording's entries): feedLine with the fast path against feed without it.
            var fast = SampleDecoder(maxLineLength: 64)
            var slow = SampleDecoder(maxLineLength: 64, usesFastPath: false)
            var a = Outcome(), b = Outcome()
            for (index, line) in lines.enumerated() {
                let time = Int64(index) * 1000
                fast.feedLine(line[...], receivedMicros: time, onError: { a.errors.append($0); a.rejected.append($1) }) { Self.record(&a, $0) }
                slow.feed(line + [UInt8(ascii: "\n")], receivedMicros: time, onError: { b.errors.append($0); b.rejected.append($1) }) { Self.record(&b, $0) }
                #expect(fast.layout == slow.layout)
            }
            fast.flushCounts()
            #expect(a == b, "lines: \(lines.map { String(decoding: $0, as: UTF8.self) })")
            #expect(fast.statistics.snapshot == slow.statistics.snapshot)

            // A byte stream with every terminator, cut into reads: the whole lines of a read
            // taken in place (`SampleDecoder.feed`), against the framer and the general path.
            // Reads of up to 40 bytes cut most lines; reads of up to 400 hold many whole ones.
            let terminators: [[UInt8]] = [[0x0A], [0x0D, 0x0A], [0x0D]]
            let stream = lines.flatMap { $0 + terminators.randomElement(using: &random)! }
            let longestRead = Bool.random(using: &random) ? 40 : 400
            var fastStream = SampleDecoder(maxLineLength: 64)
            var slowStream = SampleDecoder(maxLineLength: 64, usesFastPath: false)
            var c = Outcome(), d = Outcome()
            var offset = 0
            while offset < stream.count {
                let end = min(stream.count, offset + Int.random(in: 1...longestRead, using: &random))
                fastStream.feed(stream[offset..<end], receivedMicros: Int64(offset), onLine: { c.lines.append(Array($0)) },
                                onError: { c.errors.append($0); c.rejected.append($1) }) { Self.record(&c, $0) }
                slowStream.feed(stream[offset..<end], receivedMicros: Int64(offset), onLine: { d.lines.append(Array($0)) },
                                onError: { d.errors.append($0); d.rejected.append($1) }) { Self.record(&d, $0) }
                offset = end
            }
            #expect(c == d)
            #expect(fastStream.layout == slowStream.layout)
            #expect(fastStream.statistics.snapshot == slowStream.statistics.snapshot)
        }
    }

    @Test func plainNumbersAreTheNumbersTheGeneralPathReads() {
        let cases: [(String, [Double]?)] = [
            ("512,498,620", [512, 498, 620]), ("-0", [-0.0]), ("+3 -4", [3, -4]), ("23.5\t-1.25;", [23.5, -1.25]),
            ("0.1", [0.1]), ("123456789012345", [123456789012345]), ("1234567890123456", nil), ("1.5e2", nil),
            (".5", nil), ("5.", nil), (",1", nil), ("1,,2", nil), ("1|2", nil), ("x:1", nil), ("nan", nil), ("", nil),
            ("99999999.9999999", [99999999.9999999]), ("-0.000", [-0.0]),
        ]
        for (text, expected) in cases {
            let bytes = Array(text.utf8)
            let count = expected?.count ?? 1
            let values = bytes.withUnsafeBufferPointer { PlainNumbers.parse($0, count: count) }
            #expect(values?.map(\.bitPattern) == expected?.map(\.bitPattern), "\(text)")
            if let values {
                // The general path's reading of each number, bit for bit.
                let tokens = bytes.split(whereSeparator: { [0x20, 0x09, 0x2C, 0x3B].contains($0) })
                #expect(tokens.map { NumberSyntax.parse($0)?.bitPattern } == values.map(\.bitPattern), "\(text)")
            }
        }
    }

    @Test func aRecordingReadInPlaceGivesTheChunksItGaveBefore() async {
        await propertyCheck(count: 200, input: Gen.int64(in: Int64.min...Int64.max)) { seed in
            var random = SeededRandom(seed: UInt64(bitPattern: seed))
            var text = RecordingFormat.header(startedMicros: 1_000_000, source: "t")
            for index in 0..<Int.random(in: 0...40, using: &random) {
                let line = Array(Self.line(shape: 3, using: &random).utf8)
                switch Int.random(in: 0..<12, using: &random) {
                case 0: text += "bad line\n"
                case 1: text += "\(index).5x 1,2,3\n"
                case 2: text += "# comment\n"
                case 3: text += "\n"
                case 4: text += "\(index).000001 a\\q\n"
                default: text += String(decoding: RecordingFormat.entry(offsetMicros: Int64(index) * 1000, line: line), as: UTF8.self)
                }
            }
            if Int.random(in: 0..<10, using: &random) == 0 { text += "1.0 " + String(repeating: "7", count: ReplayReader.maxLineBytes) + "\n" }
            if Bool.random(using: &random) { text += "12.5 cut" }
            let bytes = Array(text.utf8)
            // A byte at a time: every line gathered and copied, as before the fast path.
            var old = ReplayReader(rawLineRate: 1)
            var oldEvents: [ReplayReader.Event] = []
            for index in bytes.indices { old.feed(bytes[index...index], emit: { oldEvents.append($0) }) }
            old.finish { oldEvents.append($0) }
            // A few big reads: most lines read where they are.
            let cuts = (0..<3).map { _ in Int.random(in: 0...bytes.count, using: &random) }.sorted()
            let pieces = zip([0] + cuts, cuts + [bytes.count]).map { bytes[$0..<$1] }
            var new = ReplayReader(rawLineRate: 1)
            var newEvents: [ReplayReader.Event] = []
            for piece in pieces {
                new.feed(piece, entry: { offset, line in
                    newEvents.append(.chunk(TimedChunk(offsetMicros: offset, bytes: Array(line) + [UInt8(ascii: "\n")])))
                }, emit: { newEvents.append($0) })
            }
            new.finish { newEvents.append($0) }
            #expect(oldEvents == newEvents)
        }
    }

    @Test func aRawCaptureReadInPlaceGivesTheChunksItGaveBefore() async {
        await propertyCheck(count: 200, input: Gen.int64(in: Int64.min...Int64.max)) { seed in
            var random = SeededRandom(seed: UInt64(bitPattern: seed))
            // Lines with every terminator, a lone `\r` at a read's end, empty lines, a line
            // longer than the reader passes on in one piece, and a last line without its end.
            var bytes: [UInt8] = []
            for _ in 0..<Int.random(in: 0...40, using: &random) {
                bytes += Array(Self.line(shape: 3, using: &random).utf8)
                bytes += [[0x0A], [0x0D, 0x0A], [0x0D], [0x0D, 0x0D, 0x0A], [0x0A, 0x0A]].randomElement(using: &random)!
            }
            if Int.random(in: 0..<10, using: &random) == 0 {
                bytes += Array(repeating: UInt8(ascii: "7"), count: ReplayReader.maxLineBytes + Int.random(in: -2...2, using: &random)) + [0x0A]
            }
            if Bool.random(using: &random) { bytes += Array("4,5".utf8) + (Bool.random(using: &random) ? [0x0D] : []) }
            guard !RecordingFormat.isRecording(bytes) else { return }
            // A byte at a time: every line gathered byte by byte, as before the fast path.
            var old = ReplayReader(rawLineRate: 1000)
            var oldEvents: [ReplayReader.Event] = []
            for index in bytes.indices { old.feed(bytes[index...index], emit: { oldEvents.append($0) }) }
            old.finish { oldEvents.append($0) }
            // A few big reads: most lines handed on where they are, without their `\n`.
            let cuts = (0..<3).map { _ in Int.random(in: 0...bytes.count, using: &random) }.sorted()
            let pieces = zip([0] + cuts, cuts + [bytes.count]).map { bytes[$0..<$1] }
            var new = ReplayReader(rawLineRate: 1000)
            var newEvents: [ReplayReader.Event] = []
            let entry: (Int64, ArraySlice<UInt8>) -> Void = { offset, line in
                newEvents.append(.chunk(TimedChunk(offsetMicros: offset, bytes: Array(line) + [UInt8(ascii: "\n")])))
            }
            for piece in pieces { new.feed(piece, entry: entry, emit: { newEvents.append($0) }) }
            new.finish(entry: entry) { newEvents.append($0) }
            #expect(new.kind == .rawCapture || bytes.isEmpty)
            #expect(oldEvents == newEvents)
            // Nothing lost or added: the chunks are the capture, byte for byte.
            let joined = newEvents.flatMap { event -> [UInt8] in
                if case .chunk(let chunk) = event { chunk.bytes } else { [] }
            }
            #expect(joined == bytes)
        }
    }
}
