/// A log to replay, in either of the two forms users have: the bridge's own recordings
/// (original timing) or a raw capture (`cat /dev/ttyACM0 > file`), which has no timing and
/// is paced at a fixed line rate instead.
public struct ReplayLog: Sendable {
    public enum Kind: String, Sendable { case recording, rawCapture = "raw capture" }

    public let kind: Kind
    public let chunks: [TimedChunk]

    /// Reads `data`, recognising a recording by its first line.
    /// - Parameter rawLineRate: lines per second for a raw capture.
    public init(data: [UInt8], rawLineRate: Double) throws {
        precondition(rawLineRate > 0)
        if RecordingFormat.isRecording(data) {
            kind = .recording
            chunks = try RecordingFormat.parse(data)
        } else {
            kind = .rawCapture
            chunks = Self.splitRawCapture(data, lineRate: rawLineRate)
        }
    }

    /// Time from the first chunk to the last.
    public var durationMicros: Int64 {
        guard let first = chunks.first, let last = chunks.last else { return 0 }
        return last.offsetMicros - first.offsetMicros
    }

    /// Splits raw bytes after each line terminator (`\n`, `\r\n` or `\r`), keeping the
    /// terminators so the framer sees exactly what the board sent, and times line `i` at `i / rate`.
    static func splitRawCapture(_ data: [UInt8], lineRate: Double) -> [TimedChunk] {
        var chunks: [TimedChunk] = []
        var start = 0
        var index = 0
        func emit(upTo end: Int) {
            let offset = Int64((Double(chunks.count) * 1_000_000 / lineRate).rounded())
            chunks.append(TimedChunk(offsetMicros: offset, bytes: Array(data[start..<end])))
            start = end
        }
        while index < data.count {
            let byte = data[index]
            index += 1
            if byte == UInt8(ascii: "\r"), index < data.count, data[index] == UInt8(ascii: "\n") { index += 1 }
            if byte == UInt8(ascii: "\n") || byte == UInt8(ascii: "\r") { emit(upTo: index) }
        }
        if start < data.count { emit(upTo: data.count) }
        return chunks
    }
}
