import Foundation
import Testing
import TestSupport
#if canImport(Glibc)
import Glibc
#endif

/// What issue 19's probe sent to a bridge from outside (URLs, WebSocket messages, a
/// recording, the serial line, the command line), against the built binary: the bridge
/// answers, counts, logs a few lines, and never stops.
@Suite(.serialized) struct HostileInputTests {
    private func temporaryFile(_ text: String) throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("sensorbridge-\(UUID().uuidString).log").path
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    private func expectAlive(_ bridge: BridgeProcess, _ what: String) {
        #expect(bridge.process.isRunning, "the bridge died after \(what): \(bridge.standardError.suffix(2000))")
        let answer = try? bridge.get("/api/status")
        #expect(answer?.status == 200, "no status after \(what)")
    }

    @Test func numbersInURLsThatOverflowAreTakenForWhatTheyCanMean() throws {
        let bridge = try BridgeProcess(["--replay", BridgeProcess.packageRoot + "/hardware/recordings/tilt-60s-50hz.log", "--loop"])
        waitForStatus(bridge) { ($0["samples"] as? Int ?? 0) > 10 }
        for path in ["/api/lines?after=18446744073709551615", "/api/lines?after=18446744073709551616", "/api/lines?after=-1"] {
            let answer = try bridge.get(path)
            #expect(answer.status == 200 && answer.body.contains("\"lines\""), "\(path): \(answer)")
            expectAlive(bridge, path)
        }
        for query in ["history=1e30", "history=1e308", "history=9223372036854.775807", "after=18446744073709551615&stream=x",
                      "history=0.000000001", "after=0&history=-5"] {
            let client = try TestWebSocketClient(port: bridge.port, receiveTimeout: 2)
            let response = try client.handshake(path: "/graph?" + query, protocols: ["sensorbridge.batch.v1"])
            #expect(response.statusCode == 101, "\(query)")
            let hello = try client.readText()
            #expect(hello.contains("\"type\":\"hello\""), "\(query): \(hello)")
            expectAlive(bridge, "/graph?" + query)
        }
    }

    @Test func aRecordingWithAbsurdTimesReplaysWithoutATrap() throws {
        // Times at the end of what an Int64 of microseconds holds, going back, and jumping.
        let recording = try temporaryFile("""
            # sensorbridge recording v1
            # started 1763765580.000000 source /dev/ttyACM0 baud 9600
            0.000000 1,2,3
            0.010000 1,2,3
            9223372036854.775807 4,5,6
            0.020000 7,8,9
            99999999999999999999.0 1,1,1
            9223372036854.775806 1,1,1

            """)
        defer { try? FileManager.default.removeItem(atPath: recording) }
        let fast = try BridgeProcess(["--replay", recording, "--speed", "0", "--loop"])
        let status = waitForStatus(fast) { ($0["samples"] as? Int ?? 0) > 50 }
        #expect((status["samples"] as? Int ?? 0) > 50, "looped at full speed: \(status)")
        expectAlive(fast, "looping a recording timed at Int64.max")
        // Paced: the line timed 292 000 years ahead is waited for, and the log says so.
        let paced = try BridgeProcess(["--replay", recording, "--speed", "1000000", "--loop"])
        let waiting = Date().addingTimeInterval(5)
        while !paced.standardError.contains("waiting for it"), Date() < waiting { usleep(50_000) }
        #expect(paced.standardError.contains("the next line is timed"), "\(paced.standardError)")
        expectAlive(paced, "pacing a recording timed at Int64.max")
        #expect(paced.stop() == 0, "stops at once, not after the wait")
    }

    @Test(arguments: [
        ["--handshake-timeout", "1e300"], ["--client-timeout", "1e300"], ["--history", "1e300"], ["--rate", "1e-300"],
        ["--speed", "1e300"], ["--buffer", "9223372036854775807"], ["--buffer-bytes", "1e30"], ["--buffer-bytes", "-5M"],
        ["--forget-series", "nan"], ["--forget-series", "-1m"], ["--mqtt-rate", "1e300"], ["--mqtt-rate", "1e-300"],
        ["--handshake-timeout", "1e-10"], ["--client-timeout", "4.9e-324"], ["--speed", "1e-300"], ["--buffer-bytes", "2T"],
    ])
    func outOfRangeOptionsAreRefusedWithASentence(option: [String]) throws {
        let bridge = try BridgeProcess(["--replay", BridgeProcess.packageRoot + "/hardware/recordings/tilt-60s-50hz.log"] + option,
                                       waitForListening: false)
        let status = bridge.waitForExit(timeout: 10)
        usleep(100_000)  // let the output pipes drain
        #expect(status == 64, "\(option): a usage error, not a crash: exit \(String(describing: status))")
        #expect(bridge.standardError.contains(option[0]), "names the option: \(bridge.standardError)")
        #expect(!bridge.standardError.contains("Fatal error"))
    }

    @Test(arguments: ["5.000000 1,2,3\n0.000000 4,5,6\n", "0.000000 1,2,3\n0.000001 4,5,6\n"])
    func aRecordingTimedBackwardsOrAlikeReplaysAtAPaceNotAtFullSpeed(lines: String) throws {
        let recording = try temporaryFile("# sensorbridge recording v1\n" + lines)
        defer { try? FileManager.default.removeItem(atPath: recording) }
        let bridge = try BridgeProcess(["--replay", recording, "--loop"])
        let before = bridge.cpuSeconds
        usleep(2_000_000)
        let samples = waitForStatus(bridge) { _ in true }["samples"] as? Int ?? .max
        #expect(samples < 400, "rounds of 20 ms when the times say none, not a spin: \(samples) in 2 s")
        #expect(bridge.cpuSeconds - before < 1, "no core spent on it")
        expectAlive(bridge, "a recording timed backwards")
    }

    /// The second probe: a client that pings (or sends) and never reads made the bridge queue
    /// pongs without end while no sample came (a finished replay).
    @Test func aClientThatPingsAndNeverReadsIsDroppedAndCostsBoundedMemory() throws {
        let recording = try temporaryFile("# sensorbridge recording v1\n0.0 1,2,3\n0.1 4,5,6\n")
        defer { try? FileManager.default.removeItem(atPath: recording) }
        let bridge = try BridgeProcess(["--replay", recording, "--client-timeout", "2"])
        waitForStatus(bridge) { ($0["source"] as? [String: Any])?["state"] as? String == "finished" }
        let before = bridge.memoryKB("VmRSS") ?? 0
        let client = try TestWebSocketClient(port: bridge.port, receiveTimeout: 1)
        #expect(try client.handshake().statusCode == 101)
        let ping = [UInt8](repeating: 0x70, count: 125)
        let start = Date()
        var sent = 0
        while Date().timeIntervalSince(start) < 6 {
            do { try client.sendFrame(opcode: 0x9, payload: ping) } catch { break }  // closed: done
            sent += 1
        }
        let after = bridge.memoryKB("VmHWM") ?? .max
        #expect(sent > 10_000, "a flood of pings: \(sent)")
        #expect(after - before < 40_000, "pongs not queued without end: \(before) kB, peak \(after) kB")
        let closed = waitForStatus(bridge) { ($0["clientsEvicted"] as? Int ?? 0) >= 1 }
        #expect(closed["clientsEvicted"] as? Int == 1, "closed for not reading")
        #expect(bridge.standardError.contains("not reading what it is sent"), "\(bridge.standardError)")
        expectAlive(bridge, "a ping flood")
    }

    /// The review: a burst's "N more" was said only at the next event, maybe hours later.
    @Test func aBurstOfSkippedLinesIsSummedUpWhenItStops() throws {
        let pty = try PseudoTerminal()
        let bridge = try BridgeProcess([pty.slavePath])
        for index in 0..<200 { pty.write("garbage line \(index) !!\r\n") }
        let deadline = Date().addingTimeInterval(5)
        while !bridge.standardError.contains("more skipped lines in the last second not shown"), Date() < deadline { usleep(50_000) }
        #expect(bridge.standardError.contains("more skipped lines in the last second not shown"), "\(bridge.standardError)")
        #expect(bridge.standardError.split(separator: "\n").count < 20)
    }

    /// Issue 19's probe: with --allow-send, 10 000 refused send messages a second were each logged.
    @Test func aFloodOfSendMessagesLogsAFewLinesASecond() throws {
        let pty = try PseudoTerminal()
        let bridge = try BridgeProcess([pty.slavePath, "--allow-send"])
        let client = try TestWebSocketClient(port: bridge.port, receiveTimeout: 5)
        #expect(try client.handshake(protocols: ["sensorbridge.batch.v1"]).statusCode == 101)
        client.setReceiveTimeout(0.01)
        let message = Array(#"{"type":"send","line":"?"}"#.utf8)
        let start = Date()
        var sent = 0
        while Date().timeIntervalSince(start) < 3 {
            for _ in 0..<100 { try client.sendFrame(opcode: 0x1, payload: message) }
            sent += 100
            while (try? client.readText()) != nil {}  // the answers, so its buffers do not fill
        }
        usleep(1_200_000)
        let log = bridge.standardError.split(separator: "\n")
        #expect(sent > 3_000, "the flood was a flood: \(sent)")
        #expect(log.count < 3 * 20 + 20, "a few lines a second, not one per refusal: \(log.count) lines for \(sent) sends")
        #expect(log.contains { $0.contains("more refused or failed sends in the last second not shown") })
        let written = pty.readAvailable(milliseconds: 200)
        #expect(written.components(separatedBy: "?\n").count - 1 <= 10 * 5, "at most 10 lines a second reached the board")
        expectAlive(bridge, "a send flood")
    }

    /// Issue 19: once 64 labels had been seen, new ones were refused until a restart.
    @Test func labelsIdleForTheForgetTimeGiveTheirPlaceAndViewersAreTold() throws {
        let pty = try PseudoTerminal()
        let bridge = try BridgeProcess([pty.slavePath, "--forget-series", "1s"])
        let client = try TestWebSocketClient(port: bridge.port, receiveTimeout: 0.2)
        #expect(try client.handshake(protocols: ["sensorbridge.batch.v1"]).statusCode == 101)
        pty.write((0..<64).map { "old\($0):\($0)" }.joined(separator: ",") + "\r\n")
        waitForStatus(bridge) { ($0["channels"] as? [String])?.count == 64 }
        pty.write("new:1\r\n")
        waitForStatus(bridge) { ($0["parseErrors"] as? Int ?? 0) >= 1 }
        usleep(1_300_000)
        pty.write("old0:5,new:2\r\n")
        let status = waitForStatus(bridge) { ($0["channels"] as? [String])?.contains("new") == true }
        let channels = status["channels"] as? [String] ?? []
        #expect(channels.count == 64 && channels.contains("new") && channels.contains("old0"), "\(channels)")
        #expect((status["parseErrorsByKind"] as? [String: Int])?["tooManyChannels"] == 1, "refused only while all were in use")
        var announced: [String] = []
        let deadline = Date().addingTimeInterval(5)
        while Date() < deadline, !announced.contains("new") {
            guard let text = try? client.readText(),
                  let message = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any],
                  message["type"] as? String == "channels" else { continue }
            announced = message["channels"] as? [String] ?? []
        }
        #expect(announced.count == 64 && announced.contains("new") && announced.contains("old0"),
                "the page is sent the new names, one idle label fewer: \(announced)")
    }
}
