import Foundation

/// A recording (`--record` format) of a sketch that numbers its lines and prints its clock,
/// one line every 10 ms of board time, with some lines lost on the wire. The lines arrive the
/// way USB brings them, four at a time: a group's lines arrive together, 2 ms after the
/// board's time of its last line. So the board's clock maps line `i` to exactly
/// `startMicros + (10 i + 2) ms` (the smallest delay is 2 ms), while the recorded arrival
/// times go in steps of 40 ms.
public struct NumberedClockRecording {
    public static let startMicros: Int64 = 1_764_417_600_000_000
    /// The board's clock reads this (ms) at line 0, as `millis()` after a while.
    public static let boardStartMillis = 5_000

    /// The numbers of the lines sent (what was not lost).
    public let sent: [Int]
    public let text: String

    /// - Parameters:
    ///   - lines: lines the board printed, 0 to `lines` - 1;
    ///   - lost: their numbers that never arrived;
    ///   - counter, clock: the columns' labels; `microseconds`: the clock counts in µs.
    public init(lines: Int = 200, lost: Set<Int> = [50, 51, 52, 120], counter: String = "seq", clock: String = "ms",
                microseconds: Bool = false) {
        sent = (0..<lines).filter { !lost.contains($0) }
        var text = "# sensorbridge recording v1\n# started 1764417600.000000 source test\n"
        for index in sent {
            let groupEnd = index / 4 * 4 + 3
            let arrivalMillis = groupEnd * 10 + 2
            let board = Self.boardStartMillis + index * 10
            text += String(format: "%d.%06d ", arrivalMillis / 1000, (arrivalMillis % 1000) * 1000)
            text += "\(counter):\(index),\(clock):\(microseconds ? board * 1000 : board),x:\(index * 3)\n"
        }
        self.text = text
    }

    /// Where the board's clock puts line `index`.
    public static func boardTimeMicros(line index: Int) -> Int64 {
        startMicros + Int64(index * 10 + 2) * 1_000
    }

    public func write(to path: String) throws {
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
    }
}
