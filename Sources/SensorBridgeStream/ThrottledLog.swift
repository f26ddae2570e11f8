import Logging
import SensorBridgeCore
import Synchronization

/// A log for events that may come in floods (connections, refusals, rejected lines and
/// messages): a few lines a second, and for the rest one line saying how many were not
/// shown. Every path that refuses or rejects outside input logs through one of these.
public final class ThrottledLog: Sendable {
    private let logger: Logger
    /// What the summary line counts: "connection events", "rejected MQTT messages".
    private let subject: String
    private let budget: Mutex<LogBudget>

    public init(logger: Logger, subject: String = "connection events", linesPerSecond: Int = 10) {
        self.logger = logger
        self.subject = subject
        self.budget = Mutex(LogBudget(linesPerWindow: linesPerSecond))
    }

    public var linesPerSecond: Int { budget.withLock { $0.linesPerWindow } }

    public func info(_ message: @autoclosure () -> String, metadata: Logger.Metadata? = nil, nowMicros: Int64 = WallClock.nowMicros()) {
        emit(.info, message(), metadata: metadata, nowMicros: nowMicros)
    }

    public func notice(_ message: @autoclosure () -> String, nowMicros: Int64 = WallClock.nowMicros()) {
        emit(.notice, message(), metadata: nil, nowMicros: nowMicros)
    }

    public func warning(_ message: @autoclosure () -> String, nowMicros: Int64 = WallClock.nowMicros()) {
        emit(.warning, message(), metadata: nil, nowMicros: nowMicros)
    }

    private func emit(_ level: Logger.Level, _ message: @autoclosure () -> String, metadata: Logger.Metadata?, nowMicros: Int64) {
        guard logger.logLevel <= level else { return }
        let (show, notShown) = budget.withLock { $0.admit(nowMicros: nowMicros) }
        if notShown > 0 { logSummary(notShown) }
        if show { logger.log(level: level, "\(message())", metadata: metadata) }
    }

    /// Reports what a second now over hid, even if no event follows (call it every second or so).
    public func flush(nowMicros: Int64 = WallClock.nowMicros()) {
        let notShown = budget.withLock { $0.flush(nowMicros: nowMicros) }
        if notShown > 0 { logSummary(notShown) }
    }

    private func logSummary(_ count: Int) {
        logger.notice("\(count) more \(subject) in the last second not shown (more than \(linesPerSecond) a second)")
    }
}
