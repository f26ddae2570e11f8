/// Which column of a sketch's lines is the board's clock rather than a series, and the
/// clock that maps its readings: the column leaves the values and times the sample.
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
    private var clockColumn: String?
    /// The parser's layout this was worked out for, the clock's place in it, and the layout
    /// without it (one instance, so consumers still tell a change by identity).
    private var seen: ChannelLayout?
    private var index: Int?
    private var stripped: ChannelLayout?

    public init(_ choice: Choice = .byName) { self.choice = choice }

    /// The clock's column name and unit, once a line has carried one.
    public var current: (name: String, unit: BoardClock.Unit)? {
        guard let clockColumn, let clock else { return nil }
        return (clockColumn, clock.unit)
    }

    /// Times the board's clock started again.
    public var resets: Int { clock?.segments ?? 0 }

    /// The sample without the clock's column and timed by it; as it was when there is no
    /// such column; nil when the clock was its only column.
    public mutating func apply(values: [Double], layout: ChannelLayout, arrivalMicros: Int64) -> Sample? {
        if seen !== layout { locate(in: layout) }
        guard let index, let stripped else { return Sample(timeMicros: arrivalMicros, values: values, layout: layout) }
        guard !stripped.names.isEmpty else { return nil }
        var rest = values
        let reading = rest.remove(at: index)
        let micros = clock!.map(reading, arrivalMicros: arrivalMicros)  // set with index
        return Sample(timeMicros: micros, values: rest, layout: stripped)
    }

    private mutating func locate(in layout: ChannelLayout) {
        seen = layout
        let found: (Int, BoardClock.Unit)? = switch choice {
        case .none: nil
        case .named(let name, let unit): layout.names.firstIndex(of: name).map { ($0, unit) }
        case .byName: layout.names.enumerated().lazy.compactMap { item in
            BoardClock.Unit.implied(byName: item.element).map { (item.offset, $0) } }.first
        }
        guard let (position, unit) = found else {
            index = nil
            stripped = nil
            return
        }
        index = position
        var names = layout.names
        let name = names.remove(at: position)
        stripped = ChannelLayout(names: names, isNamedByDevice: layout.isNamedByDevice)
        // The same clock goes on when only the series around it changed.
        if clockColumn != name || clock?.unit != unit {
            clock = BoardClock(unit: unit)
            clockColumn = name
        }
    }
}
