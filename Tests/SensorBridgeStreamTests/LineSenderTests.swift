import Logging
import Synchronization
import Testing
@testable import SensorBridgeCore
@testable import SensorBridgeStream

/// A board that keeps what it is sent, or fails as a vanished one does.
private final class FakeBoard: LineTarget {
    let written = Mutex<[[UInt8]]>([])
    let failure: SendRefusal?
    init(failure: SendRefusal? = nil) { self.failure = failure }
    func writeLine(_ bytes: [UInt8]) throws {
        if let failure { throw failure }
        written.withLock { $0.append(bytes) }
    }
}

struct LineSenderTests {
    private let logger = Logger(label: "test")

    @Test func theGateTakesOneLineOfTextAtABoundedRate() {
        var gate = SendGate(linesPerSecond: 10)
        #expect(gate.admit(String(repeating: "a", count: 201), nowMicros: 0)?.reason.contains("201 bytes") == true)
        #expect(gate.admit("rate 100\nrate 1", nowMicros: 0)?.reason.contains("no line breaks") == true)
        #expect(gate.admit("a\u{07}", nowMicros: 0) != nil, "a control character")
        #expect(gate.admit("x\ty", nowMicros: 0) == nil, "a tab is text")
        for separator in ["\u{85}", "\u{2028}", "\u{2029}", "\u{202E}", "\u{9B}"] {
            #expect(gate.admit("a\(separator)b", nowMicros: 0) != nil, "no line breaks in Unicode's other forms either")
        }
        for _ in 0..<9 { #expect(gate.admit("?", nowMicros: 0) == nil) }
        #expect(gate.admit("?", nowMicros: 0)?.reason.contains("at most 10 a second") == true, "the burst is spent")
        #expect(gate.admit("?", nowMicros: 100_000) == nil, "a tenth of a second earns one line")
        #expect(gate.admit("?", nowMicros: 100_000) != nil)
    }

    @Test func theSenderWritesTheLineWithItsEndingAndShowsItInTheMonitor() throws {
        let board = FakeBoard()
        let monitor = LineMonitor(capacity: 4)
        let sender = LineSender(target: board, monitor: monitor, logger: logger)
        try sender.send("rate 100", ending: .crlf, from: "test", nowMicros: 1)
        try sender.send("?", ending: .none, from: "test", nowMicros: 2)
        #expect(board.written.withLock { $0 } == [Array("rate 100\r\n".utf8), Array("?".utf8)])
        #expect(monitor.entries(after: 0).map(\.text) == ["rate 100", "?"])
        #expect(monitor.entries(after: 0).allSatisfy { $0.kind == .sent })
        #expect(throws: SendRefusal.self) { try sender.send("a\nb", ending: .lf, from: "test", nowMicros: 3) }
        #expect(board.written.withLock { $0.count } == 2, "a refused line never reaches the board")
    }

    @Test func withoutABoardOrWithAVanishedOneTheReasonIsGiven() {
        let replay = LineSender(target: nil, monitor: nil, logger: logger)
        #expect(throws: SendRefusal("the bridge is replaying a recording: there is no board to send to")) {
            try replay.send("?", ending: .lf, from: "test")
        }
        let unplugged = LineSender(target: FakeBoard(failure: SendRefusal("the board is disconnected; the line was not sent")),
                                   monitor: nil, logger: logger)
        #expect(throws: SendRefusal("the board is disconnected; the line was not sent")) {
            try unplugged.send("?", ending: .lf, from: "test")
        }
    }

    @Test func theMonitorKeepsTheLastLinesAndMarksWhatTheParserSkipped() {
        let monitor = LineMonitor(capacity: 3)
        monitor.received(Array("x,y,z".utf8), micros: 1)
        monitor.received(Array("# rate 50 Hz".utf8), micros: 2)
        monitor.received(Array("12,banana".utf8), micros: 3)
        monitor.rejected(Array("12,banana".utf8), kind: .notANumber)
        monitor.received([0x31, 0xFF, 0x0D], micros: 4)
        let entries = monitor.entries(after: 0)
        #expect(entries.map(\.number) == [2, 3, 4], "the oldest is gone")
        #expect(entries.map(\.kind) == [.message, .rejected, .received])
        #expect(entries[1].reason == "notANumber")
        #expect(entries[2].text == "1\\xff\\x0d", "bytes that are not text are shown, escaped")
        #expect(monitor.entries(after: 3).map(\.number) == [4])
        #expect(monitor.entries(after: 4).isEmpty)
        monitor.received(Array(repeating: UInt8(ascii: "7"), count: 300), micros: 5)
        #expect(monitor.entries(after: 4).first?.text == String(repeating: "7", count: LineMonitor.maxLineBytes) + "…")
    }

    @Test func theIngestPathFeedsTheMonitor() {
        let stream = SensorStream(source: SourceStatus(kind: .serial, name: "unit", baud: nil, state: .connected), capacity: 16)
        let monitor = LineMonitor()
        let pipeline = IngestPipeline(stream: stream, monitor: monitor, logger: logger)
        pipeline.ingest(ArraySlice(Array("1,2,3\r\n4,5,6\r\nhello there\r\n# ok\r\n".utf8)), receivedMicros: 7)
        #expect(monitor.entries(after: 0).map(\.kind) == [.received, .received, .rejected, .message])
    }
}

/// Keeps what is logged, to count it.
final class CollectingLogHandler: LogHandler, @unchecked Sendable {
    let lines = Mutex<[String]>([])
    var logLevel: Logger.Level = .trace
    var metadata: Logger.Metadata = [:]
    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }
    func log(level: Logger.Level, message: Logger.Message, metadata: Logger.Metadata?, source: String, file: String, function: String, line: UInt) {
        lines.withLock { $0.append("\(level) \(message)") }
    }
}

struct SendFloodTests {
    /// Issue 19's probe: with --allow-send, 10 000 refused sends a second were each logged.
    @Test func aFloodOfRefusedSendsLogsAFewLinesASecond() {
        let handler = CollectingLogHandler()
        let logger = Logger(label: "test") { _ in handler }
        let sender = LineSender(target: FakeBoard(), monitor: nil, logger: logger)
        var refused = 0
        let start = WallClock.nowMicros()
        for index in 0..<100_000 {
            // 10 s of 10 000 lines a second.
            do { try sender.send("?", ending: .lf, from: "client 1", nowMicros: start + Int64(index) * 100) } catch { refused += 1 }
        }
        let lines = handler.lines.withLock { $0 }
        #expect(refused == 100_000 - 10 - 99, "10 at once, then 10 a second")
        #expect(lines.count < 10 * 3 + 10 * 2 + 200, "a few lines a second: \(lines.count)")
        #expect(lines.contains { $0.contains("more refused or failed sends in the last second not shown") })
    }
}
