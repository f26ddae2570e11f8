/// A column that numbers the sketch's lines (`seq`, `count`, `counter`, or `--counter-column`):
/// not a series, but the way to see lines lost on the wire (a full USB buffer, a noisy cable).
///
/// A column found by its name is taken only once it behaves like one: 8 readings in a row,
/// each 1 (up to 4, lines lost) more than the one before, most of the steps exactly 1 (a
/// count that goes up by 2 a line numbers something else: it would lose a line every line). On trial it is left out already and
/// counts no losses; one that fails (a `count` of pulses) is a series from then on. A named
/// one (`--counter-column`) is taken at once. Then a jump forward by more than one is a loss (up to 2^20: a bigger jump is a
/// garbled reading or a new count); a fall is a wrap of the sketch's integer (16 or 32 bits,
/// signed or not) when it lands within 1024 lines of where the count should be, otherwise the
/// board starting again; neither is a loss. Readings come from outside: anything but a whole
/// number in the 64-bit range is ignored.
public struct LineCounterColumn: Sendable {
    public enum Choice: Sendable, Equatable {
        /// A column named `seq`, `count` or `counter` (the default).
        case byName
        case named(String)
        case none
    }

    public let choice: Choice
    private var expected: UInt64?
    private var column = ColumnOutOfLayout()
    /// The counter's column, once taken.
    public private(set) var name: String? { didSet { revision &+= 1 } }
    /// A column by that name that did not count lines (kept as a series), for the log.
    public private(set) var refused: String? { didSet { revision &+= 1 } }
    /// Counts changes of `name` and `refused`, so a caller that logs them compares a number
    /// a read instead of the names.
    public private(set) var revision: UInt64 = 0
    private var trial = Trial()

    /// Readings in a row, each one more than the last, that make a column found by name a counter.
    static let probationLines = 8
    /// The most lines one jump of the counter counts as lost (a bigger one is a new count):
    /// also the most a relay believes an edge's `lost` to be.
    public static let largestLoss: UInt64 = 1 << 20
    static let largestWrapLoss: UInt64 = 1_024

    private struct Trial: Sendable {
        var name: String?
        var last: Double?
        var run = 0
        var ones = 0
        var refusedNames: Set<String> = []
    }

    public init(_ choice: Choice = .byName) { self.choice = choice }

    /// Whether a column of this name may number lines by default.
    public static func isCounterName(_ name: String) -> Bool { ["seq", "count", "counter"].contains(name) }

    /// The board may have started again (the port reopened, a replay's next round): the next
    /// reading starts a new count.
    public mutating func restart() { expected = nil }

    /// The layout without the counter's column, the values likewise, and the lines lost
    /// just before this one (0 when none, or no counter); nil when the counter was the only column.
    public mutating func apply(values: [Double], layout: ChannelLayout) -> (values: [Double], layout: ChannelLayout, lost: UInt64)? {
        if column.isNew(layout) { locate(in: layout) }
        guard let index = column.index else { return (values, layout, 0) }
        var onTrial = false
        if name == nil {
            guard let verdict = admit(values[index], column: layout.names[index]) else { return (values, layout, 0) }
            onTrial = !verdict
        }
        // On trial the column is already left out (a series shown for a moment would stay in
        // every legend), and nothing is counted lost yet.
        let (reading, rest) = column.split(values)
        let lost = onTrial ? 0 : count(reading)
        guard let stripped = column.stripped, !stripped.names.isEmpty else { return nil }
        return (rest, stripped, lost)
    }

    /// On probation: true once the column has counted lines long enough, false while it still
    /// may, nil once it has not.
    private mutating func admit(_ reading: Double, column: String) -> Bool? {
        if trial.name != column { trial = Trial(name: column, refusedNames: trial.refusedNames) }
        // Steps of 1 (a few lines lost on the way are allowed: up to 4).
        let steps = trial.last.map { reading - $0 >= 1 && reading - $0 <= 4 } ?? true
        guard steps, reading.isFinite, reading == reading.rounded() else {
            trial.refusedNames.insert(column)
            refused = column
            self.column.letGo()
            return nil
        }
        if let last = trial.last, reading - last == 1 { trial.ones += 1 }
        trial.last = reading
        trial.run += 1
        guard trial.run >= Self.probationLines else { return false }
        // Of the 7 steps, more than half exactly one line.
        guard trial.ones * 2 > Self.probationLines - 1 else {
            trial.refusedNames.insert(column)
            refused = column
            self.column.letGo()
            return nil
        }
        name = column
        expected = nil
        return true
    }

    /// Lines missing between the counter expected and `reading`.
    mutating func count(_ reading: Double) -> UInt64 {
        guard reading.isFinite, reading == reading.rounded(), reading > -9.2e18, reading < 1.8e19 else { return 0 }
        // A signed integer that wrapped past its top is read as the unsigned one it was.
        var value = reading
        if value < 0 { value += value >= -32_768 ? 65_536 : 4_294_967_296 }
        guard value >= 0, value < 1.8e19 else { return 0 }
        let number = UInt64(value)
        defer { expected = number &+ 1 }
        guard let expected else { return 0 }
        if number >= expected { return number - expected <= Self.largestLoss ? number - expected : 0 }
        for range: UInt64 in [65_536, 4_294_967_296] where expected <= range {
            let lost = (range - expected) + number
            if lost <= Self.largestWrapLoss { return lost }  // wrapped, losing these on the way
        }
        return 0  // the board started again
    }

    private mutating func locate(in layout: ChannelLayout) {
        let position: Int? = switch choice {
        case .none: nil
        case .named(let wanted): layout.names.firstIndex(of: wanted)
        case .byName: layout.names.firstIndex { Self.isCounterName($0) && !trial.refusedNames.contains($0) }
        }
        guard let found = column.take(position, of: layout) else { return }
        if case .named = choice, name != found {
            name = found
            expected = nil
        } else if name != nil, name != found {
            // Another column by a counter's name: on probation again.
            name = nil
        }
    }
}
