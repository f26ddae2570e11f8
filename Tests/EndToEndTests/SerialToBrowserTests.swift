import Foundation
import Testing
import TestSupport
#if canImport(Glibc)
import Glibc
#endif

/// The built binary reads a real pseudo-terminal; real WebSocket clients watch.
@Suite(.serialized) struct SerialToBrowserTests {
    @Test func everySampleReachesEveryKindOfClientInOrder() throws {
        let pty = try PseudoTerminal()
        let bridge = try BridgeProcess([pty.slavePath, "--baud", "9600"])
        let offers: [[String]?] = [["soap", "chat"], nil, ["soap"]]
        var clients: [TestWebSocketClient] = []
        for offer in offers {
            let client = try TestWebSocketClient(port: bridge.port)
            let response = try client.handshake(protocols: offer)
            #expect(response.statusCode == 101)
            #expect(response.values("Sec-WebSocket-Protocol") == (offer == ["soap", "chat"] ? ["chat"] : []),
                    "offer \(String(describing: offer))")
            clients.append(client)
        }
        waitForStatus(bridge) { ($0["clients"] as? [Any])?.count == 3 }

        let lines = try shippedTiltLines(150)
        let before = Date().timeIntervalSince1970 * 1000
        play(lines, into: pty)
        let after = Date().timeIntervalSince1970 * 1000 + 1000

        for (index, client) in clients.enumerated() {
            var previousTime = 0.0
            for (number, line) in lines.enumerated() {
                let sample = try #require(decodeSample(try client.readText()), "client \(index) sample \(number)")
                #expect(Array(sample.dropFirst()) == expectedValues(line.line), "client \(index) sample \(number)")
                #expect(sample[0] >= previousTime && sample[0] >= before && sample[0] <= after, "time stamps are ms since the epoch, in order")
                previousTime = sample[0]
            }
        }
        let report = waitForStatus(bridge) { ($0["samples"] as? Int) == 150 }
        #expect(report["samples"] as? Int == 150)
        #expect(report["parseErrors"] as? Int == 0)
        #expect(report["channels"] as? [String] == ["x", "y", "z"])
        #expect(report["baud"] as? Int == 9600)

        // Ctrl-C / SIGTERM: every client is told "going away" (1001), then the bridge exits 0.
        #expect(bridge.stop(signal: SIGINT) == 0)
        for client in clients {
            var frame = try client.readFrame()
            while frame.opcode != 0x8 { frame = try client.readFrame() }
            #expect(frame.payload.prefix(2) == [0x03, 0xE9])
            #expect(String(decoding: frame.payload.dropFirst(2), as: UTF8.self) == "the bridge stopped", "a reason a page can show")
        }
    }

    /// A page loaded once the bridge's buffer is full asks for more history than is held:
    /// the oldest samples go while its history is sent, and it must not be told of a gap.
    @Test func aViewerJoiningAFullBufferIsNeverToldOfAGapThatIsNotThere() throws {
        let pty = try PseudoTerminal()
        let bridge = try BridgeProcess([pty.slavePath, "--buffer", "8192", "--no-store"])
        let board = PacedBoard(pty, intervalMicros: 400)
        defer { _ = board.stop() }
        let filled = waitForStatus(bridge, timeout: 30) { ($0["samples"] as? Int ?? 0) > 12_000 }
        #expect((filled["samples"] as? Int ?? 0) > 12_000, "the buffer filled: \(filled)")
        for join in 0..<8 {
            let viewer = try Viewer(bridge)
            #expect(viewer.read(seconds: 15) { $0.samples.count >= 6_000 }, "join \(join) got its history")
            #expect(viewer.skipped == 0, "join \(join): no gap after hello")
        }
    }

    /// A sketch that prints millis() with its readings: USB hands lines over in bursts, but
    /// the samples keep the board's spacing, and the clock is not drawn as a series.
    @Test func theBoardsOwnClockTimesTheSamplesWhateverBurstsTheyArriveIn() throws {
        let pty = try PseudoTerminal()
        let bridge = try BridgeProcess([pty.slavePath, "--no-store"])
        let viewer = try Viewer(bridge)
        var board = 5_000
        for _ in 0..<40 {
            // 25 lines of 1 ms each, written at once, every 25 ms.
            pty.write((0..<25).map { _ in board += 1; return "ms:\(board),x:\(board % 7),y:3\r\n" }.joined())
            usleep(25_000)
        }
        #expect(viewer.read { $0.samples.count >= 1_000 }, "every line: \(viewer.samples.count)")
        #expect(viewer.channels == ["x", "y"], "the clock is not a series: \(viewer.channels)")
        let times = viewer.samples.map { $0[0] }
        // Once the column has shown it is a clock (100 ms of arrivals: 4 bursts) and its delay
        // is known, 1 ms apart, as on the board.
        let steps = zip(times.dropFirst(150), times.dropFirst(151)).map { $1 - $0 }
        let exact = steps.filter { abs($0 - 1) < 0.0015 }.count
        #expect(exact * 100 >= steps.count * 95, "\(exact) of \(steps.count) steps are the board's 1 ms")
        #expect(bridge.standardError.contains("column 'ms' is the board's clock (ms)"))
    }

    /// A sketch that numbers its lines: lines lost on the wire reach viewers (live and late)
    /// as `lost` before the sample after them, and `/api/status` and `/metrics` count them.
    @Test func linesLostOnTheWireAreShownWhereTheyWereAndCounted() throws {
        let pty = try PseudoTerminal()
        let bridge = try BridgeProcess([pty.slavePath, "--no-store", "--history", "60"])
        let live = try Viewer(bridge)
        // Lines 0-99, without 20-22 and 60.
        let sent = (0..<100).filter { ![20, 21, 22, 60].contains($0) }
        pty.write(sent.map { "seq:\($0),x:\($0 * 2)\r\n" }.joined())
        for viewer in [live, try Viewer(bridge)] {
            #expect(viewer.read { $0.samples.count >= sent.count }, "\(viewer.samples.count)")
            #expect(viewer.channels == ["x"])
            #expect(viewer.lost.map { "\($0.lines) before #\($0.before)" } == ["3 before #20", "1 before #57"], "\(viewer.lost)")
            #expect(viewer.values[20] == [46], "sample #20 is line 23")
        }
        let status = waitForStatus(bridge) { ($0["linesLost"] as? Int) == 4 }
        #expect(status["linesLost"] as? Int == 4, "\(status)")
        #expect(try bridge.get("/metrics").body.contains("sensorbridge_lines_lost_total 4"))
        #expect(bridge.standardError.contains("3 lines lost on the wire"))
    }

    @Test func garbageAndHalfLinesAreCountedAndTheStreamGoesOn() throws {
        let pty = try PseudoTerminal()
        let bridge = try BridgeProcess([pty.slavePath])
        let client = try TestWebSocketClient(port: bridge.port)
        try client.handshake(protocols: ["chat"])
        waitForStatus(bridge) { ($0["clients"] as? [Any])?.count == 1 }
        pty.write("100,200,300\r\n101,201,301\r\n")
        pty.write([0xF0, 0xFF, 0xFE, 0x0D, 0x0A])      // wrong-baud garbage
        pty.write("01,302\r\n")                          // half a line
        pty.write("Hello from setup()\r\n")              // prose
        pty.write(String(repeating: "9", count: 5000))   // no terminator for too long
        pty.write("\r\n102,202,302\r\n")
        for expected in [[100.0, 200, 300], [101, 201, 301], [102, 202, 302]] {
            #expect(decodeSample(try client.readText()).map { Array($0.dropFirst()) } == expected)
        }
        let report = waitForStatus(bridge) { ($0["parseErrors"] as? Int) == 4 }
        #expect(report["parseErrors"] as? Int == 4)
        let kinds = report["parseErrorsByKind"] as? [String: Int] ?? [:]
        #expect(kinds == ["invalidUTF8": 1, "layoutMismatch": 1, "notANumber": 1, "lineTooLong": 1])
    }

    @Test func aVanishedDeviceIsReportedAndTheServerKeepsServing() throws {
        let pty = try PseudoTerminal()
        let bridge = try BridgeProcess([pty.slavePath])
        // Two lines: a stream's first line waits for the next (which times it).
        pty.write("1,2,3\r\n4,5,6\r\n")
        waitForStatus(bridge) { ($0["samples"] as? Int ?? 0) >= 1 }
        pty.closeMaster()
        let report = waitForStatus(bridge) { (($0["source"] as? [String: Any])?["state"] as? String) == "disconnected" }
        #expect((report["source"] as? [String: Any])?["state"] as? String == "disconnected")
        #expect(bridge.process.isRunning)
        #expect(try bridge.get("/").status == 200)
    }

    @Test func aPortHeldByAnotherProgramIsReportedAsBusy() throws {
        let pty = try PseudoTerminal()
        let first = try BridgeProcess([pty.slavePath])
        let second = try BridgeProcess([pty.slavePath], waitForListening: false)
        #expect(second.waitForExit(timeout: 10) == 1)
        #expect(second.standardError.contains("busy"))
        #expect(first.process.isRunning)
    }
}
