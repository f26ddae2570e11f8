// Bytes from a serial device → `SampleDecoder` (LineFramer + LineParser), as every source feeds it.
//
// Input: 3 control bytes, then the bytes the board sent.
//   [0] & 3  the framer's line limit: 4096 (the default), 4096, 64, 7
//   [1], [2] where the body is cut into three reads (fractions of its length, /255)
//
// Checked: the pieces give exactly what one read of the whole gives (lines, samples, errors,
// counters); every line, sample and counter obeys what SampleDecoder promises; every sample
// and every layout encodes to JSON that reads back as the same values and names. The fast
// path (plain numbers of the confirmed shape: LineParser's, and SampleDecoder.feedLine's for a
// recording's whole lines) gives exactly what the general path gives, bit for bit.
import Foundation
import FuzzSupport
import SensorBridgeCore

/// What one decoder produced, and the invariants checked as it goes.
private final class Run {
    var decoder: SampleDecoder
    let maxLineLength: Int
    var lines: [[UInt8]] = []
    var overlong = 0
    var messages = 0
    var samples: [Sample] = []
    var errors: [(ParseErrorKind, [UInt8]?)] = []
    var lastLayout: ChannelLayout?
    var lastTime: Int64 = .min
    /// Whether this run checks the JSON (one of the two runs does: they must agree anyway).
    let checksJSON: Bool

    init(maxLineLength: Int, checksJSON: Bool, usesFastPath: Bool = true) {
        self.maxLineLength = maxLineLength
        self.checksJSON = checksJSON
        decoder = SampleDecoder(maxLineLength: maxLineLength, usesFastPath: usesFastPath)
    }

    func feed(_ bytes: ArraySlice<UInt8>, at time: Int64) {
        decoder.feed(
            bytes, receivedMicros: time,
            onLine: { line in
                Fuzz.check(!line.isEmpty, "an empty line was reported")
                Fuzz.check(line.count <= self.maxLineLength, "a line of \(line.count) bytes over the limit \(self.maxLineLength)")
                Fuzz.check(!line.contains(0x0A) && !line.contains(0x0D), "a line holds its terminator: \(Fuzz.escaped(line))")
                self.lines.append(Array(line))
                if line.first == UInt8(ascii: "#"), !line.contains(0) { self.messages += 1 }
            },
            onError: { kind, line in
                if kind == .lineTooLong {
                    Fuzz.check(line == nil, "an overlong line came with its text")
                    self.overlong += 1
                } else {
                    Fuzz.check(line != nil && !line!.isEmpty, "a rejected line (\(kind)) without its text")
                }
                self.errors.append((kind, line))
            },
            onSample: { sample in
                let layout = sample.layout
                Fuzz.check(sample.values.count == layout.names.count,
                           "\(sample.values.count) values for \(layout.names.count) names \(layout.names)")
                Fuzz.check(!sample.values.isEmpty, "a sample without values")
                Fuzz.check(layout.names.count <= LineParser.maxChannels, "\(layout.names.count) channels")
                Fuzz.check(!sample.values.contains { $0.isInfinite }, "an infinite value in \(sample.values)")
                Fuzz.check(layout.isNamedByDevice || !sample.values.contains { $0.isNaN },
                           "a positional sample with a missing value: \(sample.values)")
                // A held line comes out later with its own (earlier) time, never after a newer sample.
                Fuzz.check(sample.timeMicros <= time, "a sample from the future: \(sample.timeMicros) > \(time)")
                Fuzz.check(sample.timeMicros >= self.lastTime, "samples out of order: \(sample.timeMicros) after \(self.lastTime)")
                self.lastTime = sample.timeMicros
                if self.checksJSON { checkJSON(sample, newLayout: layout !== self.lastLayout) }
                self.lastLayout = layout
                self.samples.append(sample)
            })
        // The layout in force is the one of the newest sample: it changes only with a sample.
        // A sample leaves out a column on trial as the board's clock or line counter (`t`,
        // `n`, ...), which the layout in force still names.
        let current = decoder.layout
        let sameNames = current.map { current in lastLayout.map { Set($0.names).isSubset(of: current.names) && current.names.count - $0.names.count <= 2 } ?? false } ?? false
        Fuzz.check(current === lastLayout || sameNames,
                   "layout \(String(describing: current)) is not the last sample's \(String(describing: lastLayout))")
    }

    func checkCounters(bytes: Int) {
        let counts = decoder.statistics.snapshot
        Fuzz.check(counts.bytes == UInt64(bytes), "bytes \(counts.bytes) for \(bytes) fed")
        Fuzz.check(counts.lines == UInt64(lines.count + overlong), "lines \(counts.lines) for \(lines.count) + \(overlong) overlong")
        Fuzz.check(counts.samples == UInt64(samples.count), "samples \(counts.samples) for \(samples.count) delivered")
        Fuzz.check(counts.parseErrorTotal == UInt64(errors.count), "errors \(counts.parseErrorTotal) for \(errors.count) reported")
        for kind in ParseErrorKind.allCases {
            let reported = errors.filter { $0.0 == kind }.count
            Fuzz.check(counts.parseErrors[kind, default: 0] == UInt64(reported), "\(kind): \(counts.parseErrors[kind, default: 0]) counted, \(reported) reported")
        }
        // Every line becomes exactly one of: sample, header, message, error; or is still held
        // (at most relayoutAfter - 1 = 2 lines of a shape waiting for confirmation).
        let accounted = counts.samples + counts.headers + counts.parseErrorTotal + UInt64(messages)
        Fuzz.check(accounted <= counts.lines && counts.lines - accounted <= 2,
                   "lines \(counts.lines) vs samples \(counts.samples) + headers \(counts.headers) + errors \(counts.parseErrorTotal) + messages \(messages)")
        if counts.parseErrorTotal > 0 { Fuzz.check(counts.lastErrorLine != nil || errors.allSatisfy { $0.1 == nil }, "no last error line") }
    }
}

/// The stream's encodings of what the parser accepted are valid JSON and say the same thing.
private func checkJSON(_ sample: Sample, newLayout: Bool) {
    let encoded = SampleJSON.encode(sample)
    guard let array = try? JSONSerialization.jsonObject(with: Data(encoded), options: [.fragmentsAllowed]) as? [Any] else {
        return Fuzz.check(false, "SampleJSON is not a JSON array: \(Fuzz.escaped(encoded))")
    }
    Fuzz.check(array.count == sample.values.count + 1, "SampleJSON has \(array.count) elements: \(Fuzz.escaped(encoded))")
    // Values, read back from the text itself (no strings inside, so commas split it).
    let fields = encoded.dropFirst().dropLast().split(separator: UInt8(ascii: ","), omittingEmptySubsequences: false)
    for (value, field) in zip(sample.values, fields.dropFirst()) {
        let text = String(decoding: field, as: UTF8.self)
        if value.isNaN {
            Fuzz.check(text == "null", "NaN written as \(text)")
        } else {
            Fuzz.check(Double(text) == value, "\(value) written as \(text)")
        }
    }
    guard newLayout else { return }
    let names = sample.layout.names
    let message = BatchMessages.channels(names, from: 0)
    guard let object = try? JSONSerialization.jsonObject(with: Data(message)) as? [String: Any],
          let decoded = object["channels"] as? [String]
    else { return Fuzz.check(false, "a channels message that is not JSON: \(Fuzz.escaped(message))") }
    Fuzz.check(decoded == names, "names \(names) read back as \(decoded)")
}

@_cdecl("LLVMFuzzerTestOneInput")
public func FuzzLines(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    let input = FuzzInput(start, count, headerCount: 3)
    let maxLineLength = [LineFramer.defaultMaxLineLength, 4096, 64, 7][Int(input.header[0] & 3)]

    let pieces = Run(maxLineLength: maxLineLength, checksJSON: true)
    for (index, piece) in Fuzz.pieces(input.body, at: [input.header[1], input.header[2]]).enumerated() {
        pieces.feed(piece, at: Int64(index))
    }
    pieces.checkCounters(bytes: input.body.count)

    let whole = Run(maxLineLength: maxLineLength, checksJSON: false)
    whole.feed(input.body, at: 0)
    whole.checkCounters(bytes: input.body.count)

    // Reads cut anywhere give what one read gives (only the samples' times differ).
    Fuzz.check(pieces.lines == whole.lines, "lines differ when cut")
    Fuzz.check(pieces.errors.map(\.0) == whole.errors.map(\.0) && pieces.errors.map(\.1) == whole.errors.map(\.1), "errors differ when cut")
    Fuzz.check(pieces.samples.count == whole.samples.count, "\(pieces.samples.count) samples when cut, \(whole.samples.count) whole")
    for (a, b) in zip(pieces.samples, whole.samples) {
        Fuzz.check(sameValues(a.values, b.values) && a.layout == b.layout, "samples differ when cut: \(a.values) \(a.layout) vs \(b.values) \(b.layout)")
    }
    Fuzz.check(pieces.decoder.statistics.snapshot == whole.decoder.statistics.snapshot, "counters differ when cut")

    // The general path alone reads the same.
    let general = Run(maxLineLength: maxLineLength, checksJSON: false, usesFastPath: false)
    general.feed(input.body, at: 0)
    Fuzz.check(general.lines == whole.lines, "lines differ without the fast path")
    Fuzz.check(general.errors.map(\.0) == whole.errors.map(\.0) && general.errors.map(\.1) == whole.errors.map(\.1),
               "errors differ without the fast path")
    checkSameSamples(whole.samples, general.samples, "without the fast path")
    Fuzz.check(general.decoder.statistics.snapshot == whole.decoder.statistics.snapshot, "counters differ without the fast path")

    // A recording's whole lines through feedLine read as those lines with a newline.
    var byLine = SampleDecoder(maxLineLength: maxLineLength)
    var byBytes = SampleDecoder(maxLineLength: maxLineLength, usesFastPath: false)
    var lineSamples: [Sample] = [], byteSamples: [Sample] = []
    var lineErrors: [ParseErrorKind] = [], byteErrors: [ParseErrorKind] = []
    for (index, line) in input.body.split(separator: 0x0A, omittingEmptySubsequences: false).enumerated() {
        byLine.feedLine(line, receivedMicros: Int64(index), onError: { kind, _ in lineErrors.append(kind) }) { lineSamples.append($0) }
        byBytes.feed(Array(line) + [0x0A], receivedMicros: Int64(index), onError: { kind, _ in byteErrors.append(kind) }) { byteSamples.append($0) }
        Fuzz.check(byLine.layout == byBytes.layout, "layouts differ line by line")
    }
    byLine.flushCounts()
    Fuzz.check(lineErrors == byteErrors, "errors differ line by line: \(lineErrors) vs \(byteErrors)")
    checkSameSamples(lineSamples, byteSamples, "line by line")
    Fuzz.check(byLine.statistics.snapshot == byBytes.statistics.snapshot, "counters differ line by line")
    return 0
}

/// The same samples: times, layouts, and values bit for bit (so -0 is not 0).
private func checkSameSamples(_ a: [Sample], _ b: [Sample], _ how: String) {
    Fuzz.check(a.count == b.count, "\(a.count) samples vs \(b.count) \(how)")
    for (x, y) in zip(a, b) {
        Fuzz.check(x.timeMicros == y.timeMicros && x.layout == y.layout && x.values.map(\.bitPattern) == y.values.map(\.bitPattern),
                   "samples differ \(how): \(x.values) \(x.layout) vs \(y.values) \(y.layout)")
    }
}
