/// Bytes in, samples out: the framer and the parser joined, counting as it goes.
/// Every source (a serial device, a replayed log) feeds one of these, so they all
/// follow exactly the same path.
public struct SampleDecoder: Sendable {
    private var framer: LineFramer
    private var parser: LineParser
    /// The board's clock, when a column is one.
    public private(set) var timeColumn: BoardTimeColumn
    /// The sketch's line counter, when a column is one.
    public private(set) var counterColumn: LineCounterColumn
    public let statistics: StreamStatistics

    public init(statistics: StreamStatistics = StreamStatistics(), maxLineLength: Int = LineFramer.defaultMaxLineLength,
                forgetSeriesAfterMicros: Int64 = LineParser.defaultForgetSeriesAfterMicros, usesFastPath: Bool = true,
                timeColumn: BoardTimeColumn.Choice = .byName, counterColumn: LineCounterColumn.Choice = .byName) {
        self.framer = LineFramer(maxLineLength: maxLineLength)
        self.parser = LineParser(forgetSeriesAfterMicros: forgetSeriesAfterMicros, usesFastPath: usesFastPath)
        self.timeColumn = BoardTimeColumn(timeColumn)
        self.counterColumn = LineCounterColumn(counterColumn)
        self.statistics = statistics
    }

    /// Changes whenever what the clock's or the counter's column says changes (taken,
    /// refused, the clock started again): cheap to compare after every read.
    public var columnsRevision: ColumnsRevision {
        ColumnsRevision(time: timeColumn.revision, clockResets: timeColumn.resets, counter: counterColumn.revision)
    }

    public struct ColumnsRevision: Equatable, Sendable {
        let time: UInt64
        let clockResets: Int
        let counter: UInt64
    }

    /// The channel layout in force, if any line has set one (the board's clock included).
    public var layout: ChannelLayout? { parser.layout }

    /// Feeds bytes received at `receivedMicros`. `onLine` sees every complete line (for
    /// recording), `onSample` every sample (a held line comes out later, with its own time),
    /// `onError` every rejected line.
    public mutating func feed<Bytes: Collection>(
        _ bytes: Bytes,
        receivedMicros: Int64,
        onLine: (ArraySlice<UInt8>) -> Void = { _ in },
        onError: (ParseErrorKind, [UInt8]?) -> Void = { _, _ in },
        onSample: (Sample) -> Void
    ) where Bytes.Element == UInt8 {
        feed(ArraySlice(bytes), receivedMicros: receivedMicros, onLine: onLine, onError: onError, onSample: onSample)
    }

    /// The same for the bytes type every source reads into: not generic, so callers in
    /// other modules run code specialized for it instead of the generic, per-byte-dispatching one.
    public mutating func feed(
        _ bytes: ArraySlice<UInt8>,
        receivedMicros: Int64,
        onLine: (ArraySlice<UInt8>) -> Void = { _ in },
        onError: (ParseErrorKind, [UInt8]?) -> Void = { _, _ in },
        onSample: (Sample) -> Void
    ) {
        flushCounts()
        var tally = StreamStatistics.Tally()
        tally.countBytes(bytes.count)
        // A read of many lines (a replay's block, a busy board's burst) is taken a whole line
        // at a time where it lies: a plain sample of the confirmed layout is parsed in place,
        // with no copy of its bytes; any other line goes through the framer, exactly as before.
        var start = bytes.startIndex
        while let newline = ByteScan.firstIndex(of: UInt8(ascii: "\n"), in: bytes[start...]) {
            let line = Self.framed(bytes[start..<newline])
            if let values = inPlaceValues(line) {
                tally.countLine()
                onLine(line)
                tally.countSample()
                if let sample = Self.sample(values, parser.layout!, receivedMicros, &timeColumn, &counterColumn) { onSample(sample) }
            } else {
                feedFramer(bytes[start...newline], receivedMicros: receivedMicros, tally: &tally,
                           onLine: onLine, onError: onError, onSample: onSample)
            }
            start = newline + 1
        }
        feedFramer(bytes[start...], receivedMicros: receivedMicros, tally: &tally,
                   onLine: onLine, onError: onError, onSample: onSample)
        statistics.add(tally)
    }

    /// A whole line without its `\n`, as the framer gives it: without a final `\r` either (a
    /// `\r\n` line's; any other `\r` leaves the line to the framer, `PlainNumbers` refuses it).
    private static func framed(_ line: ArraySlice<UInt8>) -> ArraySlice<UInt8> {
        line.last == UInt8(ascii: "\r") ? line[line.startIndex..<(line.endIndex - 1)] : line
    }

    /// The values of a whole framed line when it may be taken where it lies, as `parse` would
    /// take it: no partial line waits, it is within the framer's limit, and it is a plain
    /// sample of the confirmed layout. Nil when the framer and the general path must decide.
    private func inPlaceValues(_ line: ArraySlice<UInt8>) -> [Double]? {
        guard framer.isAtLineStart, line.count <= framer.maxLineLength else { return nil }
        return line.withUnsafeBufferPointer { parser.plainSample($0) }
    }

    /// Bytes the in-place path does not take, through the framer and the parser's general path.
    private mutating func feedFramer(
        _ bytes: ArraySlice<UInt8>, receivedMicros: Int64, tally: inout StreamStatistics.Tally,
        onLine: (ArraySlice<UInt8>) -> Void, onError: (ParseErrorKind, [UInt8]?) -> Void, onSample: (Sample) -> Void
    ) {
        guard !bytes.isEmpty else { return }
        // The framer is moved out (a stand-in holding no storage left behind), so the parser
        // and the columns can be changed in place while it runs: a copy of any of them would
        // share its storage with `self`, and its first change would copy that.
        var framer = LineFramer.standIn
        swap(&framer, &self.framer)
        framer.feed(bytes) { output in
            switch output {
            case .overlong:
                tally.countOverlongLine()
                onError(.lineTooLong, nil)
            case .line(let line):
                tally.countLine()
                onLine(line[...])
                parser.parse(line, receivedMicros: receivedMicros) { event in
                    tally.count(event)
                    switch event {
                    case .sample(let values, let layout, let micros):
                        if let sample = Self.sample(values, layout, micros, &timeColumn, &counterColumn) { onSample(sample) }
                    case .rejected(let kind, let line):
                        onError(kind, line)
                    case .header, .held, .message:
                        break
                    }
                }
            }
        }
        swap(&framer, &self.framer)
    }

    /// Exactly `feed(line + "\n")` without `onLine`: one whole line (a recording's entry, or
    /// a raw capture's line without its `\n`), taken without copying it when it is a plain
    /// sample of the confirmed shape and no partial line waits, which is nearly every line of
    /// an import.
    public mutating func feedLine(
        _ line: ArraySlice<UInt8>,
        receivedMicros: Int64,
        onError: (ParseErrorKind, [UInt8]?) -> Void = { _, _ in },
        onSample: (Sample) -> Void
    ) {
        if let values = inPlaceValues(Self.framed(line)) {
            // Counted here and added to `statistics` every few thousand lines: its lock per
            // line would cost as much as the line.
            unflushedLines += 1
            unflushedBytes += line.count + 1
            if unflushedLines >= Self.flushEvery { flushCounts() }
            if let sample = Self.sample(values, parser.layout!, receivedMicros, &timeColumn, &counterColumn) { onSample(sample) }
            return
        }
        var bytes = [UInt8]()
        bytes.reserveCapacity(line.count + 1)
        bytes.append(contentsOf: line)
        bytes.append(UInt8(ascii: "\n"))
        feed(bytes[...], receivedMicros: receivedMicros, onError: onError, onSample: onSample)
    }

    /// A parsed line as a sample: without the counter's column (noting what it says was
    /// lost) and the clock's (timed by it); nil when those were all the line had.
    private static func sample(_ values: [Double], _ layout: ChannelLayout, _ micros: Int64,
                               _ timeColumn: inout BoardTimeColumn, _ counterColumn: inout LineCounterColumn) -> Sample? {
        guard let counted = counterColumn.apply(values: values, layout: layout),
              var sample = timeColumn.apply(values: counted.values, layout: counted.layout, arrivalMicros: micros)
        else { return nil }
        sample.linesLostBefore = counted.lost
        return sample
    }

    /// Lines `feedLine` took the fast way, not yet in `statistics`.
    private var unflushedLines = 0
    private var unflushedBytes = 0
    static let flushEvery = 4096

    /// Adds what `feedLine` counted and has not added yet (it adds every `flushEvery` lines,
    /// and before any other input is counted): call it at the end of the input.
    public mutating func flushCounts() {
        guard unflushedLines > 0 else { return }
        var tally = StreamStatistics.Tally()
        for _ in 0..<unflushedLines { tally.countLine() }
        tally.countRelayed(samples: unflushedLines, bytes: unflushedBytes)
        statistics.add(tally)
        unflushedLines = 0
        unflushedBytes = 0
    }

    /// Forgets a partial line (after the device was reopened); keeps the channel layout. The
    /// board may have started again: its clock and line counter begin anew.
    public mutating func dropPartialLine() {
        framer.reset()
        timeColumn.restart()
        counterColumn.restart()
    }
}
