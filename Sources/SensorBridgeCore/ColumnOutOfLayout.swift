/// One column taken out of the parser's layouts (the board's clock, the line counter): where
/// it is, and the layout without it, worked out once per layout instance, so that the
/// samples share one layout and consumers still tell a change by identity.
struct ColumnOutOfLayout: Sendable {
    /// The layout this was worked out for.
    private(set) var seen: ChannelLayout?
    /// The column's place in `seen`, nil when it has none (or it was let go).
    private(set) var index: Int?
    /// `seen` without the column.
    private(set) var stripped: ChannelLayout?

    /// Whether `layout` is not the one worked out last.
    func isNew(_ layout: ChannelLayout) -> Bool { seen !== layout }

    /// Takes the column at `position` of `layout` (none when nil) out; returns its name.
    @discardableResult
    mutating func take(_ position: Int?, of layout: ChannelLayout) -> String? {
        seen = layout
        guard let position else {
            letGo()
            return nil
        }
        index = position
        var names = layout.names
        let name = names.remove(at: position)
        stripped = ChannelLayout(names: names, isNamedByDevice: layout.isNamedByDevice)
        return name
    }

    /// The column is a series after all, until the layout changes.
    mutating func letGo() {
        index = nil
        stripped = nil
    }

    /// The column's value and the others (`index` must be set).
    func split(_ values: [Double]) -> (reading: Double, rest: [Double]) {
        var rest = values
        let reading = rest.remove(at: index!)
        return (reading, rest)
    }
}
