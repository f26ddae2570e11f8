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
        feed(bytes, entry: { emit(Self.chunk($0, $1)) }, emit: emit)
    }

    /// An entry as the chunk of bytes the framer is to see: the line and its newline.
    public static func chunk(_ offset: Int64, _ line: ArraySlice<UInt8>) -> Event {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(line.count + 1)
        bytes.append(contentsOf: line)
        bytes.append(UInt8(ascii: "\n"))
        return .chunk(TimedChunk(offsetMicros: offset, bytes: bytes))
    }

    /// The same, but lines go to `entry` (offset, the line without its final newline: a
    /// slice of `bytes` when it is whole there and, in a recording, unescaped), with no copy
    /// per line; the stream's bytes are the line and a `\n`. What is not such a line (a raw
    /// capture's piece ended by a lone `\r` or cut at `maxLineBytes`, skipped lines) goes to
    /// `emit` as before.
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
            while let newline = ByteScan.firstIndex(of: UInt8(ascii: "\n"), in: rest) {
                let piece = rest[...newline]
                rest = rest[(newline + 1)...]
                // Nearly every line: whole in this block, ended by `\n` or `\r\n`, no `\r`
                // before that. Handed on where it lies; anything else byte by byte.
                let beforeEnd = piece.dropLast(2)
                if pending.isEmpty, !pendingCR, piece.count <= Self.maxLineBytes,
                   ByteScan.firstIndex(of: UInt8(ascii: "\r"), in: beforeEnd) == nil {
                    entry(nextRawOffset(), piece.dropLast())
                } else {
                    for byte in piece { rawByte(byte, entry: entry, emit: emit) }
                }
            }
            for byte in rest { rawByte(byte, entry: entry, emit: emit) }
        case nil:
            break
        }
    }

    /// The end of the file: what is left is a last line without its newline.
    public mutating func finish(emit: (Event) -> Void) {
        finish(entry: { emit(Self.chunk($0, $1)) }, emit: emit)
    }

    /// The same, with lines for `entry` as `feed(_:entry:emit:)` gives them.
    public mutating func finish(entry: (Int64, ArraySlice<UInt8>) -> Void, emit: (Event) -> Void) {
        if kind == nil {
            // Nothing here ends a line, so no recording line comes of it; a raw capture's may.
            decideKind(final: true, entry: entry, emit: emit)
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
                emitRaw(entry: entry, emit: emit)
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

    /// Splits after each line terminator (`\n`, `\r\n` or `\r`), so the framer sees exactly
    /// what the board sent (a piece ending in `\n` goes to `entry` without it: whoever takes
    /// it adds it back); line `i` is timed at `i / rate`.
    private mutating func rawByte(_ byte: UInt8, entry: (Int64, ArraySlice<UInt8>) -> Void, emit: (Event) -> Void) {
        if pendingCR {
            pendingCR = false
            pending.append(UInt8(ascii: "\r"))
            if byte == UInt8(ascii: "\n") {
                pending.append(byte)
                emitRaw(entry: entry, emit: emit)
                return
            }
            emitRaw(entry: entry, emit: emit)
        }
        if byte == UInt8(ascii: "\r") {
            pendingCR = true
            return
        }
        pending.append(byte)
        if byte == UInt8(ascii: "\n") || pending.count >= Self.maxLineBytes { emitRaw(entry: entry, emit: emit) }
    }

    /// Line `i` of a raw capture is timed at `i / rate`.
    private mutating func nextRawOffset() -> Int64 {
        let offset = Int64(saturating: (Double(rawLines) * 1_000_000 / rawLineRate).rounded())
        rawLines += 1
        return offset
    }

    /// What `pending` holds: to `entry` without its `\n` when it ends in one, else as a chunk.
    private mutating func emitRaw(entry: (Int64, ArraySlice<UInt8>) -> Void, emit: (Event) -> Void) {
        let offset = nextRawOffset()
        if pending.last == UInt8(ascii: "\n") {
            entry(offset, pending.dropLast())
        } else {
            emit(.chunk(TimedChunk(offsetMicros: offset, bytes: pending)))
        }
        pending.removeAll(keepingCapacity: true)
    }
}
