/// Splits a byte stream that arrives in arbitrary pieces into lines ending in `\n`, `\r\n`
/// or `\r`, because serial reads return whatever the UART had, not whole lines.
/// A line longer than `maxLineLength` is reported once and dropped up to its end, so a
/// board spewing garbage without newlines cannot grow memory.
public struct LineFramer: Sendable {
    public enum Output: Equatable, Sendable {
        /// A complete line without its terminator. Empty lines are not reported.
        case line([UInt8])
        /// A line that exceeded the limit; `length` counts its bytes up to the limit.
        case overlong(length: Int)
    }

    public static let defaultMaxLineLength = 4096

    public let maxLineLength: Int
    private var pending: [UInt8] = []
    private var discardingOverlong = false
    private var lastWasCR = false

    public init(maxLineLength: Int = LineFramer.defaultMaxLineLength) {
        precondition(maxLineLength > 0)
        self.maxLineLength = maxLineLength
        pending.reserveCapacity(128)
    }

    /// A framer with no storage, to leave in place of one moved out for a moment.
    static var standIn: LineFramer { LineFramer(unreservedMaxLineLength: 1) }

    private init(unreservedMaxLineLength: Int) {
        self.maxLineLength = unreservedMaxLineLength
    }

    /// Feeds a piece of the stream and calls `emit` for each line it completes.
    public mutating func feed<Bytes: Sequence>(_ bytes: Bytes, emit: (Output) -> Void) where Bytes.Element == UInt8 {
        for byte in bytes {
            switch byte {
            case UInt8(ascii: "\n"):
                if lastWasCR {  // the second half of a \r\n
                    lastWasCR = false
                    continue
                }
                endLine(emit)
            case UInt8(ascii: "\r"):
                endLine(emit)
                lastWasCR = true
                continue
            default:
                if discardingOverlong { break }
                if pending.count == maxLineLength {
                    emit(.overlong(length: pending.count))
                    pending.removeAll(keepingCapacity: true)
                    discardingOverlong = true
                } else {
                    pending.append(byte)
                }
            }
            lastWasCR = false
        }
    }

    /// Nothing held or pending: the next byte starts a line (a `\n` now would not be half a `\r\n`).
    public var isAtLineStart: Bool { pending.isEmpty && !discardingOverlong && !lastWasCR }

    /// Bytes held for a line that has not ended yet.
    public var pendingByteCount: Int { pending.count }

    /// Forgets a partial line, e.g. after the device was reopened.
    public mutating func reset() {
        pending.removeAll(keepingCapacity: true)
        discardingOverlong = false
        lastWasCR = false
    }

    private mutating func endLine(_ emit: (Output) -> Void) {
        if discardingOverlong {
            discardingOverlong = false
        } else if !pending.isEmpty {
            emit(.line(pending))
        }
        pending.removeAll(keepingCapacity: true)
    }
}
