/// The names of the channels in a stream. A reference type so that samples share one
/// instance and a consumer can tell "the layout changed" with `===` instead of comparing names.
public final class ChannelLayout: Sendable, Equatable, CustomStringConvertible {
    public let names: [String]
    /// True when the names came from the device (a header line or labels), false when defaulted.
    public let isNamedByDevice: Bool

    public init(names: [String], isNamedByDevice: Bool) {
        self.names = names
        self.isNamedByDevice = isNamedByDevice
    }

    /// Names for a stream that never said what its channels are: `x`, `y`, `z` for up to
    /// three channels (the accelerometer this tool was made for), `ch1`… beyond that.
    public static func defaultNames(count: Int) -> ChannelLayout {
        let names = count <= 3
            ? Array(["x", "y", "z"].prefix(count))
            : (1...count).map { "ch\($0)" }
        return ChannelLayout(names: names, isNamedByDevice: false)
    }

    public var count: Int { names.count }
    public var description: String { names.joined(separator: ",") }

    public static func == (lhs: ChannelLayout, rhs: ChannelLayout) -> Bool {
        lhs === rhs || (lhs.names == rhs.names && lhs.isNamedByDevice == rhs.isNamedByDevice)
    }
}

extension ChannelLayout {
    /// Longest channel name, in bytes: names go into every `channels` message and every page's legend.
    public static let maxNameBytes = 64

    /// A channel name, from a sketch's line or another bridge's message: does not look like
    /// the start of a number and holds no separator, quoting punctuation, blank, control or
    /// invisible formatting character (a legend or a log line must show what it is).
    public static func isValidName<Bytes: Collection>(_ bytes: Bytes) -> Bool where Bytes.Element == UInt8 {
        guard let first = bytes.first, bytes.count <= maxNameBytes else { return false }
        if NumberSyntax.isDigit(first) || first == UInt8(ascii: "+") || first == UInt8(ascii: "-")
            || first == UInt8(ascii: ".") { return false }
        guard bytes.allSatisfy({ $0 > 0x20 && $0 != 0x7F && !forbiddenInNames.contains($0) }) else { return false }
        guard bytes.contains(where: { $0 >= 0x80 }) else { return true }
        guard let text = String(validating: Array(bytes), as: UTF8.self) else { return false }
        return text.unicodeScalars.allSatisfy { scalar in
            switch scalar.properties.generalCategory {
            case .control, .format, .lineSeparator, .paragraphSeparator, .spaceSeparator, .privateUse, .unassigned, .surrogate: false
            default: true
            }
        }
    }

    private static let forbiddenInNames: Set<UInt8> = Set("\"'`=:,;|{}<>\\!?#$%&*@^~".utf8)
}
