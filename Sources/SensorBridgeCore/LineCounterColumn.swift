/// A column that numbers the sketch's lines (`seq`, `count`, `counter`, or `--counter-column`):
/// not a series, but the way to see lines lost on the wire (a full USB buffer, a noisy cable).
/// A jump forward by more than one is a loss; a fall is a wrap of the sketch's integer (16 or
/// 32 bits, signed or not) or the board starting again, never a loss; so is a jump of more
/// than 2^20. Readings come from outside: anything but a whole number in the 64-bit range
/// is ignored.
public struct LineCounterColumn: Sendable {
    public enum Choice: Sendable, Equatable {
        /// A column named `seq`, `count` or `counter` (the default).
        case byName
        case named(String)
        case none
    }

    public let choice: Choice
    private var expected: UInt64?
    private var seen: ChannelLayout?
    private var index: Int?
    private var stripped: ChannelLayout?
    /// The counter's column, once a line has carried one.
    public private(set) var name: String?

    public init(_ choice: Choice = .byName) { self.choice = choice }

    static let largestLoss: UInt64 = 1 << 20

    /// Whether a column of this name numbers lines by default.
    public static func isCounterName(_ name: String) -> Bool { ["seq", "count", "counter"].contains(name) }

    /// The layout without the counter's column, the values likewise, and the lines lost
    /// just before this one (0 when none, or no counter).
    public mutating func apply(values: [Double], layout: ChannelLayout) -> (values: [Double], layout: ChannelLayout, lost: UInt64)? {
        if seen !== layout { locate(in: layout) }
        guard let index, let stripped else { return (values, layout, 0) }
        var rest = values
        let lost = count(rest.remove(at: index))
        guard !stripped.names.isEmpty else { return nil }
        return (rest, stripped, lost)
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
        // A jump of more than a million lines is a counter garbled on the wire or a new
        // count, not a million lines lost.
        if number >= expected { return number - expected <= Self.largestLoss ? number - expected : 0 }
        for range: UInt64 in [65_536, 4_294_967_296] where expected <= range && expected > range / 2 && number < range / 4 {
            return (range - expected) + number  // wrapped
        }
        return 0  // the board started again
    }

    private mutating func locate(in layout: ChannelLayout) {
        seen = layout
        let position: Int? = switch choice {
        case .none: nil
        case .named(let wanted): layout.names.firstIndex(of: wanted)
        case .byName: layout.names.firstIndex(where: Self.isCounterName)
        }
        guard let position else {
            index = nil
            stripped = nil
            return
        }
        index = position
        var names = layout.names
        let found = names.remove(at: position)
        if found != name { expected = nil }
        name = found
        stripped = ChannelLayout(names: names, isNamedByDevice: layout.isNamedByDevice)
    }
}
