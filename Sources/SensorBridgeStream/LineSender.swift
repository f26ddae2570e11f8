import Logging
import SensorBridgeCore
import Synchronization

/// What ends a line sent to the board, as the Arduino serial monitor offers it.
public enum LineEnding: String, Sendable, CaseIterable {
    case none, lf, cr, crlf

    public var bytes: [UInt8] {
        switch self {
        case .none: []
        case .lf: [0x0A]
        case .cr: [0x0D]
        case .crlf: [0x0D, 0x0A]
        }
    }
}

/// A source that can carry a line back to the board (the serial device; not a recording).
public protocol LineTarget: Sendable {
    /// Writes all of `bytes` or throws with a reason a person can act on.
    func writeLine(_ bytes: [UInt8]) throws
}

/// Why a line was not sent, in words for the person who typed it.
public struct SendRefusal: Error, Equatable, Sendable, CustomStringConvertible {
    public let reason: String
    public init(_ reason: String) { self.reason = reason }
    public var description: String { reason }
}

/// Decides whether a line may go to the board: one line of text, not too long, not too
/// often (a page cannot flood a board that reads 64 bytes at a time). Pure: the clock is given.
public struct SendGate: Sendable {
    public static let maxLineBytes = 200
    /// Lines a second, with a burst of as many.
    public var linesPerSecond: Double { bucket.perSecond }
    private var bucket: TokenBucket

    public init(linesPerSecond: Double = 10) {
        bucket = TokenBucket(perSecond: linesPerSecond)
    }

    /// A control character (C0, DEL, C1 such as U+0085 NEXT LINE), a line or paragraph
    /// separator, or invisible formatting: none belongs in one line of text (a tab does).
    private static func breaksTheLine(_ scalar: Unicode.Scalar) -> Bool {
        guard scalar != "\t" else { return false }
        switch scalar.properties.generalCategory {
        case .control, .lineSeparator, .paragraphSeparator, .format: return true
        default: return false
        }
    }

    public mutating func admit(_ line: String, nowMicros: Int64) -> SendRefusal? {
        if line.utf8.count > Self.maxLineBytes {
            return SendRefusal("the line is \(line.utf8.count) bytes; at most \(Self.maxLineBytes) are sent")
        }
        if line.unicodeScalars.contains(where: Self.breaksTheLine) {
            return SendRefusal("send one line of text: no line breaks or control characters (the line ending is added)")
        }
        guard bucket.take(nowMicros: nowMicros) else {
            return SendRefusal("too many lines: at most \(Int(linesPerSecond)) a second are sent to the board")
        }
        return nil
    }
}

/// The one writer to the board: every client's line passes the gate and is written whole
/// under one lock, so lines never interleave; each is logged with who sent it and shown in
/// the line monitor.
public final class LineSender: Sendable {
    private let gate: Mutex<SendGate>
    private let target: (any LineTarget)?
    /// Why nothing can be sent when there is no target.
    private let unwritable: String
    private let monitor: LineMonitor?
    private let logger: Logger
    /// Refusals come as fast as a page can send; the log gets a few a second.
    private let refusals: ThrottledLog

    /// - Parameter target: nil when the source cannot be written to (a recording, UDP).
    /// - Parameter kind: the source's, for why nothing can be sent without a target.
    public init(target: (any LineTarget)?, kind: SourceKind = .replay, monitor: LineMonitor?, gate: SendGate = SendGate(), logger: Logger) {
        self.gate = Mutex(gate)
        self.target = target
        self.unwritable = kind.sendRefusal ?? "this source cannot be written to"
        self.monitor = monitor
        self.logger = logger
        self.refusals = ThrottledLog(logger: logger, subject: "refused or failed sends", linesPerSecond: 3)
    }

    /// Reports refusals a second now over hid (call it every second or so).
    public func flushLog(nowMicros: Int64 = WallClock.nowMicros()) { refusals.flush(nowMicros: nowMicros) }

    /// Sends `line` with `ending`; throws `SendRefusal` when it was not sent, and why.
    public func send(_ line: String, ending: LineEnding, from client: String, nowMicros: Int64 = WallClock.nowMicros()) throws {
        guard let target else {
            throw SendRefusal(unwritable)
        }
        try gate.withLock { gate in
            if let refusal = gate.admit(line, nowMicros: nowMicros) {
                refusals.notice("refused to send a line from \(client): \(refusal.reason)", nowMicros: nowMicros)
                throw refusal
            }
            do {
                try target.writeLine(Array(line.utf8) + ending.bytes)
            } catch {
                refusals.notice("could not send a line from \(client): \(error)", nowMicros: nowMicros)
                throw SendRefusal("\(error)")
            }
        }
        logger.info("sent to the board from \(client): \(line) [\(ending.rawValue)]")
        monitor?.sent(Array(line.utf8), micros: nowMicros)
    }
}
