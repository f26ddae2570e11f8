// A file given to `--replay` → `ReplayReader` (a recording or a raw capture), and the
// recording format's own line reader and writer.
//
// Input: 11 control bytes, then the file.
//   [0] & 3  the raw capture's line rate (`--rate`): 50, 1, 1000, or the double in [3..<11]
//   [1], [2] where the file is cut into three reads (fractions of its length, /255)
//   [3..<11] a time offset (Int64, little-endian) for the round trip, or the rate above
//
// Checked: the reads give what one read of the whole file gives; a recording's events are
// exactly what `RecordingFormat.readLine` says of each of its lines; a raw capture is passed
// on byte for byte, in order, in pieces of at most one line; `entry` then `readLine` gives
// back any line at any offset.
import FuzzSupport
import SensorBridgeCore

private func read(_ pieces: [ArraySlice<UInt8>], rate: Double) -> (events: [ReplayReader.Event], kind: ReplayReader.Kind?) {
    var reader = ReplayReader(rawLineRate: rate)
    var events: [ReplayReader.Event] = []
    for piece in pieces { reader.feed(piece) { events.append($0) } }
    reader.finish { events.append($0) }
    return (events, reader.kind)
}

/// What a recording must produce, line by line, from `RecordingFormat.readLine` alone.
private func expectedRecording(_ file: ArraySlice<UInt8>) -> [ReplayReader.Event] {
    var events: [ReplayReader.Event] = []
    var lines = file.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false)
    let last = lines.removeLast()  // after the last newline: nothing, or a line cut off
    for (index, line) in lines.enumerated() {
        if line.count > ReplayReader.maxLineBytes {
            events.append(.skipped(line: index + 1, reason: "longer than \(ReplayReader.maxLineBytes) bytes"))
            continue
        }
        switch RecordingFormat.readLine(line) {
        case .comment: break
        case .entry(let chunk): events.append(.chunk(chunk))
        case .bad(let reason): events.append(.skipped(line: index + 1, reason: reason))
        }
    }
    if !last.isEmpty {
        events.append(.skipped(line: lines.count + 1, reason: "cut off: no newline at the end of the file"))
    }
    return events
}

private func checkRoundTrip(_ line: ArraySlice<UInt8>, offset: Int64) {
    let written = RecordingFormat.entry(offsetMicros: offset, line: Array(line))
    Fuzz.check(written.last == UInt8(ascii: "\n"), "an entry without its newline")
    Fuzz.check(written.dropLast().allSatisfy { $0 >= 0x20 && $0 < 0x7F }, "an entry with raw bytes: \(Fuzz.escaped(written))")
    let back = RecordingFormat.readLine(written.dropLast())
    Fuzz.check(back == .entry(TimedChunk(offsetMicros: offset, bytes: Array(line) + [0x0A])),
               "entry(\(offset), \(Fuzz.escaped(line))) = \(Fuzz.escaped(written)) reads back as \(back)")
}

@_cdecl("LLVMFuzzerTestOneInput")
public func FuzzRecording(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    let input = FuzzInput(start, count, headerCount: 11)
    let file = input.body
    var rate: Double = [50, 1, 1000, 0][Int(input.header[0] & 3)]
    if rate == 0 {
        rate = Double(bitPattern: input.integer(3..<11))
        if !(rate > 0 && rate.isFinite) { rate = 50 }  // what `--rate` accepts
    }

    let whole = read([file], rate: rate)
    let cut = read(Fuzz.pieces(file, at: [input.header[1], input.header[2]]), rate: rate)
    Fuzz.check(cut.events == whole.events, "the events differ when the file is read in pieces")
    Fuzz.check(cut.kind == whole.kind, "the kind differs when the file is read in pieces")
    // Decided by the magic alone (an empty or short file at its end, as a raw capture).
    Fuzz.check(whole.kind == (RecordingFormat.isRecording(file) ? ReplayReader.Kind.recording : .rawCapture),
               "a file taken for \(String(describing: whole.kind))")

    switch whole.kind {
    case .recording:
        let expected = expectedRecording(file)
        Fuzz.check(whole.events == expected, "the reader's events are not readLine's: \(whole.events.prefix(4)) vs \(expected.prefix(4))")
        for case .chunk(let chunk) in whole.events {
            Fuzz.check(chunk.bytes.last == 0x0A, "a recorded line without its newline")
        }
    case .rawCapture:
        var passed: [UInt8] = []
        var lastOffset: Int64 = .min
        for event in whole.events {
            guard case .chunk(let chunk) = event else {
                Fuzz.check(false, "a raw capture skipped a line: \(event)")
                continue
            }
            Fuzz.check(!chunk.bytes.isEmpty && chunk.bytes.count <= ReplayReader.maxLineBytes + 1, "a raw piece of \(chunk.bytes.count) bytes")
            Fuzz.check(chunk.offsetMicros >= lastOffset, "raw pieces out of time order")
            let terminators = chunk.bytes.dropLast().enumerated().filter { index, byte in
                byte == 0x0A || (byte == 0x0D && !(index == chunk.bytes.count - 2 && chunk.bytes.last == 0x0A))
            }
            Fuzz.check(terminators.isEmpty, "a raw piece holds more than one line: \(Fuzz.escaped(chunk.bytes))")
            lastOffset = chunk.offsetMicros
            passed += chunk.bytes
        }
        Fuzz.check(passed[...] == file, "a raw capture was not passed on byte for byte")
    case nil:
        Fuzz.check(false, "no kind after the end of the file")
    }

    // Any line at any offset (one before the start too: the clock stepped back while
    // recording) survives being written and read back.
    let offset = Int64(bitPattern: input.integer(3..<11))
    checkRoundTrip(file, offset: offset)
    // And through the reader, as the first line after the magic.
    var recording = Array((RecordingFormat.magic + "\n").utf8)
    recording += RecordingFormat.entry(offsetMicros: offset, line: Array(file))
    let replayed = read([recording[...]], rate: 50)
    if recording.count - 28 <= ReplayReader.maxLineBytes + 1 {
        Fuzz.check(replayed.events == [.chunk(TimedChunk(offsetMicros: offset, bytes: Array(file) + [0x0A]))],
                   "a written line does not replay: \(replayed.events)")
    }
    return 0
}
