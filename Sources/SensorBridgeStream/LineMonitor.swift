import SensorBridgeCore
import Synchronization

/// The last lines the board sent, as text, and the lines sent to it: the page's raw monitor.
/// A fixed ring whose entries keep their storage, so recording a line costs a copy, not an
/// allocation, even at a million lines a second.
public final class LineMonitor: Sendable {
    public enum Kind: String, Sendable {
        /// A line from the board that became (or may become) a sample, or a header.
        case received
        /// A line from the board starting with `#`: the sketch talking, not a reading.
        case message
        /// A line from the board the parser skipped.
        case rejected
        /// A line sent to the board.
        case sent
    }

    public struct Entry: Sendable, Equatable {
        /// Counts every line recorded, from 1: a reader asks for what came after the last it saw.
        public var number: UInt64
        public var micros: Int64
        public var text: String
        public var kind: Kind
        /// Why the parser skipped it (`ParseErrorKind`'s raw value), for rejected lines.
        public var reason: String?
    }

    private struct Slot {
        var bytes: [UInt8] = []
        var number: UInt64 = 0
        var micros: Int64 = 0
        var kind = Kind.received
        var reason: ParseErrorKind?
        var truncated = false
    }

    private struct Ring {
        var slots: [Slot]
        var next: UInt64 = 1
    }

    public let capacity: Int
    /// Longest text kept of a line; the rest is shown as "…".
    public static let maxLineBytes = 256
    private let ring: Mutex<Ring>

    public init(capacity: Int = 200) {
        precondition(capacity > 0)
        self.capacity = capacity
        ring = Mutex(Ring(slots: Array(repeating: Slot(), count: capacity)))
    }

    public func received(_ line: [UInt8], micros: Int64) {
        received(line[...], micros: micros)
    }

    public func received(_ line: ArraySlice<UInt8>, micros: Int64) {
        let kind: Kind = line.first == UInt8(ascii: "#") ? .message : .received
        record(line, micros: micros, kind: kind)
    }

    public func sent(_ line: [UInt8], micros: Int64) {
        record(line[...], micros: micros, kind: .sent)
    }

    /// Marks the newest unmarked entry holding `line` as rejected (a line the parser held
    /// back may be rejected a few lines later).
    public func rejected(_ line: [UInt8], kind: ParseErrorKind) {
        ring.withLock { ring in
            let newest = ring.next - 1
            let oldest = ring.next > UInt64(capacity) ? ring.next - UInt64(capacity) : 1
            guard newest >= oldest else { return }
            for number in stride(from: newest, through: max(oldest, newest > 8 ? newest - 8 : 1), by: -1) {
                let index = Int(number % UInt64(capacity))
                if ring.slots[index].kind == .received, ring.slots[index].reason == nil,
                   ring.slots[index].bytes.elementsEqual(line.prefix(Self.maxLineBytes)) {
                    ring.slots[index].kind = .rejected
                    ring.slots[index].reason = kind
                    return
                }
            }
        }
    }

    /// The entries after `number`, oldest first (as many as are still held).
    public func entries(after number: UInt64) -> [Entry] {
        ring.withLock { ring in
            let oldest = ring.next > UInt64(capacity) ? ring.next - UInt64(capacity) : 1
            let first = max(number.addingSaturating(1), oldest)  // `after` comes from a URL: any number
            guard first < ring.next else { return [] }
            return (first..<ring.next).map { number in
                let slot = ring.slots[Int(number % UInt64(capacity))]
                var text = Self.text(of: slot.bytes)
                if slot.truncated { text += "…" }
                return Entry(number: slot.number, micros: slot.micros, text: text, kind: slot.kind, reason: slot.reason?.rawValue)
            }
        }
    }

    /// UTF-8 text as it is; control characters and bytes that are not UTF-8 as `\xNN`.
    static func text(of bytes: [UInt8]) -> String {
        if !bytes.contains(where: { $0 < 0x20 || $0 == 0x7F }), let text = String(validating: bytes, as: UTF8.self) {
            return text
        }
        return StreamStatistics.printable(bytes, limit: bytes.count)
    }

    private func record(_ line: ArraySlice<UInt8>, micros: Int64, kind: Kind) {
        ring.withLock { ring in
            let index = Int(ring.next % UInt64(capacity))
            ring.slots[index].bytes.removeAll(keepingCapacity: true)
            ring.slots[index].bytes.append(contentsOf: line.prefix(Self.maxLineBytes))
            ring.slots[index].number = ring.next
            ring.slots[index].micros = micros
            ring.slots[index].kind = kind
            ring.slots[index].reason = nil
            ring.slots[index].truncated = line.count > Self.maxLineBytes
            ring.next += 1
        }
    }
}
