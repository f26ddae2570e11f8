import Logging
import SensorBridgeCore
import Synchronization

/// Connection events (connected, disconnected, refused, dropped) for the log, without a line
/// per connection when there are thousands: a few lines a second, and for the rest one line
/// saying how many were not shown.
public final class FloodLog: Sendable {
    private struct Window {
        var startMicros: Int64 = 0
        var shown = 0
        var hidden = 0
    }

    private let logger: Logger
    private let linesPerSecond: Int
    private let window = Mutex(Window())

    public init(logger: Logger, linesPerSecond: Int = 10) {
        self.logger = logger
        self.linesPerSecond = linesPerSecond
    }

    func info(_ message: @autoclosure () -> String, metadata: Logger.Metadata? = nil) {
        emit(.info, message(), metadata: metadata)
    }

    func notice(_ message: @autoclosure () -> String) {
        emit(.notice, message(), metadata: nil)
    }

    private func emit(_ level: Logger.Level, _ message: @autoclosure () -> String, metadata: Logger.Metadata?) {
        guard logger.logLevel <= level else { return }
        let now = WallClock.nowMicros()
        let (show, summary) = window.withLock { window -> (Bool, Int) in
            var summary = 0
            if now - window.startMicros >= 1_000_000 {
                summary = window.hidden
                window = Window(startMicros: now)
            }
            guard window.shown < linesPerSecond else {
                window.hidden += 1
                return (false, summary)
            }
            window.shown += 1
            return (true, summary)
        }
        if summary > 0 { logSummary(summary) }
        if show { logger.log(level: level, "\(message())", metadata: metadata) }
    }

    /// Reports what a window hid once it is over, even if no event follows (called every second).
    func flush(nowMicros: Int64 = WallClock.nowMicros()) {
        let hidden = window.withLock { window -> Int in
            guard now(nowMicros, isPast: window), window.hidden > 0 else { return 0 }
            let hidden = window.hidden
            window = Window(startMicros: nowMicros)
            return hidden
        }
        if hidden > 0 { logSummary(hidden) }
    }

    private func now(_ micros: Int64, isPast window: Window) -> Bool { micros - window.startMicros >= 1_000_000 }

    private func logSummary(_ hidden: Int) {
        logger.notice("\(hidden) more connection events in the last second not shown (more than \(linesPerSecond) a second)")
    }
}
