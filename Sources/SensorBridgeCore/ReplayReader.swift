/// Reads a log to replay as it streams past, a block at a time, so memory stays flat however
/// large the file: either the bridge's own recording (original timing, `RecordingFormat`) or
/// a raw capture (`cat /dev/ttyACM0 > file`), which has no timing and is paced at a fixed
/// line rate. A recording's bad or torn lines are skipped and reported, never fatal: a file
/// cut short by a crash, or edited by hand, still replays.
public struct ReplayReader {
    public enum Kind: String, Sendable { case recording, rawCapture = "raw capture" }

    public enum Event: Equatable, Sendable {
        case chunk(TimedChunk)
        /// A recording line that could not be read: its 1-based number and why.
        case skipped(line: Int, reason: String)
    }

    /// A recording line longer than this is skipped (and not kept in memory); a raw capture
    /// line is passed on in pieces of this size, for the framer to judge.
    public static let maxLineBytes = 64 * 1024

    public private(set) var kind: Kind?
    private let rawLineRate: Double
    private var pending: [UInt8] = []
    private var overlong = false
    private var lineNumber = 0
    private var rawLines = 0
    /// A raw capture's `\r`, waiting to see whether `\n` follows.
    private var pendingCR = false

    public init(rawLineRate: Double) {
        precondition(rawLineRate > 0)
        self.rawLineRate = rawLineRate
    }

    public mutating func feed<Bytes: Collection>(_ bytes: Bytes, emit: (Event) -> Void) where Bytes.Element == UInt8 {
        feed(ArraySlice(bytes), emit: emit)
    }

    /// The same for a block read from the file: not generic, so it runs specialized code.
    public mutating func feed(_ bytes: ArraySlice<UInt8>, emit: (Event) -> Void) {
        feed(bytes, entry: { offset, line in
            var chunk: [UInt8] = []
            chunk.reserveCapacity(line.count + 1)
            chunk.append(contentsOf: line)
            chunk.append(UInt8(ascii: "\n"))
            emit(.chunk(TimedChunk(offsetMicros: offset, bytes: chunk)))
        }, emit: emit)
    }

    /// The same, but a recording's lines go to `entry` (offset, the line without a newline:
    /// a slice of `bytes` when it is whole there and unescaped), with no copy per line; the
    /// rest (a raw capture's chunks, skipped lines) to `emit` as before.
    public mutating func feed(_ bytes: ArraySlice<UInt8>, entry: (Int64, ArraySlice<UInt8>) -> Void,
                              emit: (Event) -> Void) {
        var rest = bytes
        while kind == nil, let byte = rest.popFirst() {
            pending.append(byte)
            decideKind(final: false, entry: entry, emit: emit)
        }
        switch kind {
        case .recording:
            // A whole line at a time: find its end, take the bytes before it in one go.
            while let newline = ByteScan.firstIndex(of: UInt8(ascii: "\n"), in: rest) {
                if pending.isEmpty, !overlong, newline - rest.startIndex <= Self.maxLineBytes {
                    // The whole line is in this block: read it where it is.
                    lineNumber += 1
                    readRecordingLine(rest[..<newline], entry: entry, emit: emit)
                } else {
                    appendToLine(rest[..<newline])
                    endRecordingLine(entry: entry, emit: emit)
                }
                rest = rest[(newline + 1)...]
            }
            appendToLine(rest)
        case .rawCapture:
            for byte in rest { rawByte(byte, emit: emit) }
        case nil:
            break
        }
    }

    /// The end of the file: what is left is a last line without its newline.
    public mutating func finish(emit: (Event) -> Void) {
        if kind == nil {
            // Nothing here ends a line, so no recording line comes of it; a raw capture's may.
            decideKind(final: true, entry: { _, _ in }, emit: emit)
        }
        switch kind {
        case .recording:
            if !pending.isEmpty || overlong {
                lineNumber += 1
                emit(.skipped(line: lineNumber, reason: "cut off: no newline at the end of the file"))
            }
        case .rawCapture:
            if !pending.isEmpty || pendingCR {
                if pendingCR { pending.append(UInt8(ascii: "\r")) }
                emitRaw(emit)
            }
        case nil:
            break
        }
        pending = []
        overlong = false
        pendingCR = false
    }

    // MARK: - Which kind

    private mutating func decideKind(final: Bool, entry: (Int64, ArraySlice<UInt8>) -> Void, emit: (Event) -> Void) {
        let magic = RecordingFormat.magic.utf8
        if pending.count >= magic.count || pending.last == UInt8(ascii: "\n") || final {
            kind = pending.starts(with: magic) ? .recording : .rawCapture
            let held = pending
            pending = []
            feed(held[...], entry: entry, emit: emit)
        }
    }

    // MARK: - Recording

    /// Keeps what fits of a recording line; the rest marks it overlong.
    private mutating func appendToLine(_ bytes: ArraySlice<UInt8>) {
        let room = Self.maxLineBytes - pending.count
        if bytes.count > room {
            pending.append(contentsOf: bytes.prefix(max(0, room)))
            overlong = true
        } else {
            pending.append(contentsOf: bytes)
        }
    }

    private mutating func endRecordingLine(entry: (Int64, ArraySlice<UInt8>) -> Void, emit: (Event) -> Void) {
        lineNumber += 1
        defer {
            pending.removeAll(keepingCapacity: true)
            overlong = false
        }
        if overlong {
            emit(.skipped(line: lineNumber, reason: "longer than \(Self.maxLineBytes) bytes"))
            return
        }
        readRecordingLine(pending[...], entry: entry, emit: emit)
    }

    /// Line `lineNumber`, whole and not too long.
    private func readRecordingLine(_ line: ArraySlice<UInt8>, entry: (Int64, ArraySlice<UInt8>) -> Void,
                                   emit: (Event) -> Void) {
        switch RecordingFormat.readEntry(line) {
        case .comment: break
        case .entry(let offset, let text): entry(offset, text)
        case .bad(let reason): emit(.skipped(line: lineNumber, reason: reason))
        }
    }

    // MARK: - Raw capture

    /// Splits after each line terminator (`\n`, `\r\n` or `\r`), keeping it, so the framer
    /// sees exactly what the board sent; line `i` is timed at `i / rate`.
    private mutating func rawByte(_ byte: UInt8, emit: (Event) -> Void) {
        if pendingCR {
            pendingCR = false
            pending.append(UInt8(ascii: "\r"))
            if byte == UInt8(ascii: "\n") {
                pending.append(byte)
                emitRaw(emit)
                return
            }
            emitRaw(emit)
        }
        if byte == UInt8(ascii: "\r") {
            pendingCR = true
            return
        }
        pending.append(byte)
        if byte == UInt8(ascii: "\n") || pending.count >= Self.maxLineBytes { emitRaw(emit) }
    }

    private mutating func emitRaw(_ emit: (Event) -> Void) {
        let offset = Int64(saturating: (Double(rawLines) * 1_000_000 / rawLineRate).rounded())
        rawLines += 1
        emit(.chunk(TimedChunk(offsetMicros: offset, bytes: pending)))
        pending.removeAll(keepingCapacity: true)
    }
}
