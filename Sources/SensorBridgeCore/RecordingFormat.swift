/// The bridge's own timestamped log: a header, then one line per line the device sent,
/// prefixed by seconds since the recording started. Text, so a person can read and edit it;
/// bytes that are not printable ASCII are written as `\xHH` so garbage survives a round trip.
///
///     # sensorbridge recording v1
///     # started 1763765580.123456 source /dev/ttyACM0 baud 9600
///     0.000000 512,498,620
///     0.020013 513,497,621
public enum RecordingFormat {
    public static let magic = "# sensorbridge recording v1"

    public static func header(startedMicros: Int64, source: String) -> String {
        let seconds = startedMicros / 1_000_000
        let micros = startedMicros % 1_000_000
        return "\(magic)\n# started \(seconds).\(pad6(micros)) source \(source)\n"
    }

    /// One log line for `line` (without terminator) received `offsetMicros` after the start;
    /// before it (`-0.250000`) when the wall clock stepped back while recording.
    public static func entry(offsetMicros: Int64, line: [UInt8]) -> [UInt8] {
        entry(offsetMicros: offsetMicros, line: line[...])
    }

    public static func entry(offsetMicros: Int64, line: ArraySlice<UInt8>) -> [UInt8] {
        let magnitude = offsetMicros.magnitude
        var out = Array("\(offsetMicros < 0 ? "-" : "")\(magnitude / 1_000_000).\(pad6(Int64(magnitude % 1_000_000))) ".utf8)
        out.reserveCapacity(out.count + line.count + 1)
        let hex = Array("0123456789abcdef".utf8)
        for byte in line {
            if byte == UInt8(ascii: "\\") {
                out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\\")])
            } else if byte >= 0x20 && byte < 0x7F {
                out.append(byte)
            } else {
                out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "x"), hex[Int(byte >> 4)], hex[Int(byte & 0xF)]])
            }
        }
        out.append(UInt8(ascii: "\n"))
        return out
    }

    public static func isRecording<Bytes: Collection>(_ data: Bytes) -> Bool where Bytes.Element == UInt8 {
        data.starts(with: magic.utf8)
    }

    public enum Line: Equatable {
        /// A comment (`#`) or an empty line.
        case comment
        /// A recorded line, with a `\n` appended, ready for the framer.
        case entry(TimedChunk)
        case bad(reason: String)
    }

    /// Reads one line of a recording (without its newline).
    public static func readLine(_ rawLine: ArraySlice<UInt8>) -> Line {
        switch readEntry(rawLine) {
        case .comment: return .comment
        case .bad(let reason): return .bad(reason: reason)
        case .entry(let offset, let line):
            var bytes: [UInt8] = []
            bytes.reserveCapacity(line.count + 1)
            bytes.append(contentsOf: line)
            bytes.append(UInt8(ascii: "\n"))
            return .entry(TimedChunk(offsetMicros: offset, bytes: bytes))
        }
    }

    /// What `readLine` reads, the recorded line without a newline: a slice of `rawLine`
    /// itself when it has no escapes, so a replay copies nothing for most lines.
    public enum Entry: Equatable {
        case comment
        case entry(offsetMicros: Int64, line: ArraySlice<UInt8>)
        case bad(reason: String)
    }

    /// Reads one line of a recording (without its newline), copying only an escaped one.
    public static func readEntry(_ rawLine: ArraySlice<UInt8>) -> Entry {
        if rawLine.isEmpty || rawLine.first == UInt8(ascii: "#") { return .comment }
        guard let space = ByteScan.firstIndex(of: UInt8(ascii: " "), in: rawLine) else {
            return .bad(reason: "expected '<seconds> <line>'")
        }
        guard let offset = parseSeconds(rawLine[rawLine.startIndex..<space]) else {
            return .bad(reason: "bad time stamp")
        }
        let text = rawLine[rawLine.index(after: space)...]
        guard ByteScan.firstIndex(of: UInt8(ascii: "\\"), in: text) != nil else {
            return .entry(offsetMicros: offset, line: text)
        }
        guard let bytes = unescape(text) else {
            return .bad(reason: "bad escape")
        }
        return .entry(offsetMicros: offset, line: bytes[...])
    }

    /// A whole recording in memory: its lines, and those skipped (number, reason). For tests
    /// and small files; a replay streams through `ReplayReader`.
    public static func parse(_ data: [UInt8]) -> (chunks: [TimedChunk], skipped: [(line: Int, reason: String)]) {
        var reader = ReplayReader(rawLineRate: 1)
        var chunks: [TimedChunk] = []
        var skipped: [(line: Int, reason: String)] = []
        let collect: (ReplayReader.Event) -> Void = { event in
            switch event {
            case .chunk(let chunk): chunks.append(chunk)
            case .skipped(let line, let reason): skipped.append((line, reason))
            }
        }
        reader.feed(data, emit: collect)
        reader.finish(emit: collect)
        return (chunks, skipped)
    }

    private static func pad6(_ value: Int64) -> String {
        let digits = String(value)
        return String(repeating: "0", count: max(0, 6 - digits.count)) + digits
    }

    /// `12.345678` → 12345678 µs, `-0.25` → -250000 µs, exactly (no floating point); nil
    /// for anything else, or a time past what an Int64 of microseconds holds.
    static func parseSeconds(_ text: ArraySlice<UInt8>) -> Int64? {
        let negative = text.first == UInt8(ascii: "-")
        guard let magnitude = parseMagnitude(negative ? text.dropFirst() : text) else { return nil }
        if negative {
            return magnitude <= UInt64(Int64.max) + 1 ? Int64(bitPattern: 0 &- magnitude) : nil
        }
        return magnitude <= UInt64(Int64.max) ? Int64(magnitude) : nil
    }

    /// `12.345678` → 12345678, digit by digit: this runs for every line of a replay.
    private static func parseMagnitude(_ text: ArraySlice<UInt8>) -> UInt64? {
        text.withUnsafeBufferPointer { text -> UInt64? in
            let end = text.count
            var whole: UInt64 = 0
            var index = 0
            while index < end, text[index] &- UInt8(ascii: "0") < 10 {
                let (times10, overflow) = whole.multipliedReportingOverflow(by: 10)
                let (sum, overflow2) = times10.addingReportingOverflow(UInt64(text[index] &- UInt8(ascii: "0")))
                guard !overflow, !overflow2 else { return nil }
                whole = sum
                index += 1
            }
            guard index > 0 else { return nil }
            var micros: UInt64 = 0
            if index < end {
                guard text[index] == UInt8(ascii: ".") else { return nil }
                let digits = end - index - 1
                guard digits > 0, digits <= 6 else { return nil }
                for position in (index + 1)..<end {
                    let digit = text[position] &- UInt8(ascii: "0")
                    guard digit < 10 else { return nil }
                    micros = micros * 10 + UInt64(digit)
                }
                for _ in digits..<6 { micros *= 10 }
            }
            let (scaled, overflow) = whole.multipliedReportingOverflow(by: 1_000_000)
            let (total, overflow2) = scaled.addingReportingOverflow(micros)
            return overflow || overflow2 ? nil : total
        }
    }

    /// One hex digit's value: `UInt8("+f", radix: 16)` would take a sign too.
    private static func hexDigit(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }

    private static func unescape(_ text: ArraySlice<UInt8>) -> [UInt8]? {
        var out: [UInt8] = []
        out.reserveCapacity(text.count)
        var index = text.startIndex
        while index < text.endIndex {
            let byte = text[index]
            guard byte == UInt8(ascii: "\\") else {
                out.append(byte)
                index += 1
                continue
            }
            guard index + 1 < text.endIndex else { return nil }
            if text[index + 1] == UInt8(ascii: "\\") {
                out.append(byte)
                index += 2
            } else if text[index + 1] == UInt8(ascii: "x"), index + 3 < text.endIndex,
                      let high = hexDigit(text[index + 2]), let low = hexDigit(text[index + 3]) {
                out.append(high << 4 | low)
                index += 4
            } else {
                return nil
            }
        }
        return out
    }
}

/// Bytes to hand to the framer at a time relative to the start of a replay.
public struct TimedChunk: Sendable, Equatable {
    public var offsetMicros: Int64
    public var bytes: [UInt8]

    public init(offsetMicros: Int64, bytes: [UInt8]) {
        self.offsetMicros = offsetMicros
        self.bytes = bytes
    }
}
