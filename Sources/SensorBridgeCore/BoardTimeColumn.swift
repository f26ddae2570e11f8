/// Which column of a sketch's lines is the board's clock rather than a series, and the
/// clock that maps its readings: the column leaves the values and times the sample.
///
/// A column found by its name (`t`, `time`, `ms`, `millis`, `us`, `micros`) is taken only
/// once it behaves like a clock: 8 readings or more, never falling, that advance as fast as
/// the lines arrive (0.5 to 2 times, judged over at least 100 ms of arrivals; lines that all
/// come in one burst are judged later). On trial it is left out already, and the samples are
/// timed at arrival; one that fails (a temperature `t`, a `time` in seconds) is a series from
/// then on. A named one (`--time-column`) is taken at once.
public struct BoardTimeColumn: Sendable {
    public enum Choice: Sendable, Equatable {
        /// A column named `t`, `time`, `ms`, `millis`, `us` or `micros` (the default).
        case byName
        /// `--time-column NAME`, counting in the unit given.
        case named(String, BoardClock.Unit)
        /// `--time-column none`: every column is a series; samples are timed at arrival.
        case none
    }

    public let choice: Choice
    private var clock: BoardClock?
    private var clockColumn: String? { didSet { revision &+= 1 } }
    private var column = ColumnOutOfLayout()
    private var unit: BoardClock.Unit = .milliseconds
    private var trial = Trial()
    /// A column by a clock's name that did not behave like one (kept as a series), for the log.
    public private(set) var refused: String? { didSet { revision &+= 1 } }
    /// Counts changes of what `current` and `refused` say, so a caller that logs them
    /// compares a number a read instead of the names.
    public private(set) var revision: UInt64 = 0

    static let probationLines = 8
    static let probationArrivalMicros: Int64 = 100_000
    /// Lines that all arrive within 100 ms are judged on order alone after this many.
    static let probationLinesInABurst = 64

    private struct Trial: Sendable {
        var name: String?
        var first: (reading: Double, arrival: Int64)?
        var last: Double?
        var lines = 0
        var refusedNames: Set<String> = []
    }

    public init(_ choice: Choice = .byName) { self.choice = choice }

    /// The clock's column name and unit, once taken.
    public var current: (name: String, unit: BoardClock.Unit)? {
        guard let clockColumn, let clock else { return nil }
        return (clockColumn, clock.unit)
    }

    /// Times the board's clock started again.
    public var resets: Int { clock?.segments ?? 0 }

    /// The port reopened: the board's clock may have started again.
    public mutating func restart() { clock?.restart() }

    /// The sample without the clock's column and timed by it; as it was when there is no
    /// such column; nil when the clock was its only column.
    public mutating func apply(values: [Double], layout: ChannelLayout, arrivalMicros: Int64) -> Sample? {
        if column.isNew(layout) { locate(in: layout) }
        guard let index = column.index else { return Sample(timeMicros: arrivalMicros, values: values, layout: layout) }
        var onTrial = false
        if clock == nil || clockColumn != layout.names[index] {
            guard let verdict = admit(values[index], column: layout.names[index], arrivalMicros: arrivalMicros) else {
                return Sample(timeMicros: arrivalMicros, values: values, layout: layout)  // not a clock: a series
            }
            onTrial = !verdict
        }
        guard let stripped = column.stripped, !stripped.names.isEmpty else { return nil }
        let (reading, rest) = column.split(values)
        // On trial the column is already left out (most such columns are what their name says,
        // and a series shown for a moment would stay in every legend), but timed at arrival.
        let micros = onTrial ? arrivalMicros : clock!.map(reading, arrivalMicros: arrivalMicros)  // set by admit or locate
        return Sample(timeMicros: micros, values: rest, layout: stripped)
    }

    /// On probation: true once the column has behaved like a clock long enough, false while
    /// it still may, nil once it has not.
    private mutating func admit(_ reading: Double, column: String, arrivalMicros: Int64) -> Bool? {
        if trial.name != column { trial = Trial(name: column, refusedNames: trial.refusedNames) }
        let rising = trial.last.map { reading >= $0 } ?? true
        guard reading.isFinite, reading >= 0, rising else { return refuse(column) }
        trial.last = reading
        trial.lines += 1
        guard let first = trial.first else {
            trial.first = (reading, arrivalMicros)
            return false
        }
        guard trial.lines >= Self.probationLines else { return false }
        let arrived = arrivalMicros.subtractingSaturating(first.arrival)
        let advanced = (reading - first.reading) * Double(unit == .milliseconds ? 1_000 : 1)
        if arrived >= Self.probationArrivalMicros {
            let ratio = advanced / Double(arrived)
            guard ratio >= 0.5, ratio <= 2 else { return refuse(column) }
        } else if trial.lines < Self.probationLinesInABurst || advanced <= 0 {
            return false
        }
        clock = BoardClock(unit: unit)
        clockColumn = column
        return true
    }

    private mutating func refuse(_ column: String) -> Bool? {
        trial.refusedNames.insert(column)
        refused = column
        self.column.letGo()
        return nil
    }

    private mutating func locate(in layout: ChannelLayout) {
        let found: (Int, BoardClock.Unit)? = switch choice {
        case .none: nil
        case .named(let name, let unit): layout.names.firstIndex(of: name).map { ($0, unit) }
        case .byName:
            layout.names.firstIndex { BoardClock.Unit.implied(byName: $0) != nil && !trial.refusedNames.contains($0) }
                .map { ($0, BoardClock.Unit.implied(byName: layout.names[$0])!) }
        }
        guard let name = column.take(found?.0, of: layout), let unit = found?.1 else { return }
        self.unit = unit
        if case .named = choice, clockColumn != name || clock?.unit != unit {
            // Named by the user: taken at once.
            clock = BoardClock(unit: unit)
            clockColumn = name
        }
    }
}
