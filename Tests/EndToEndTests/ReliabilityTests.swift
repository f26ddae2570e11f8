import Foundation
import Testing
import TestSupport
#if canImport(Glibc)
import Glibc
#endif

/// What the probes of issue 9 broke, run against the built binary: recordings survive a
/// crash and a closed terminal, torn files replay, a huge replay stays small, and running
/// out of descriptors does not lock clients out.
@Suite(.serialized) struct ReliabilityTests {
    private func temporaryDirectory() throws -> URL {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("sensorbridge-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        return directory
    }

    private func recordedLines(_ path: String) throws -> [String] {
        try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: false)
            .map(String.init).filter { !$0.hasPrefix("#") && !$0.isEmpty }
    }

    /// Records `count` lines from a pty, then stops the bridge with `signal` 200 ms after the last.
    private func recordAndStop(signal: Int32, count: Int) throws -> (recorded: [String], status: Int32?, log: String) {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let recording = directory.appendingPathComponent("session.log").path
        let pty = try PseudoTerminal()
        let bridge = try BridgeProcess([pty.slavePath, "--record", recording])
        for index in 0..<count { pty.write("\(index),\(index % 7),\(index % 11)\r\n") }
        waitForStatus(bridge) { $0["samples"] as? Int == count }
        usleep(200_000)
        let status = bridge.stop(signal: signal)
        return (try recordedLines(recording), status, bridge.standardError)
    }

    @Test func aKilledBridgeLosesNoLineRecordedMoreThan100msBefore() throws {
        let (recorded, status, _) = try recordAndStop(signal: SIGKILL, count: 2000)
        #expect(status == 9 || status == nil || status == SIGKILL)  // killed: no exit status of its own
        #expect(recorded.count == 2000)
        #expect(recorded.last?.hasSuffix(" 1999,4,8") == true)
        for (index, line) in recorded.enumerated() {
            guard line.hasSuffix(" \(index),\(index % 7),\(index % 11)") else {
                Issue.record("line \(index) is \(line)")
                break
            }
        }
    }

    @Test(arguments: [SIGHUP, SIGTERM, SIGINT])
    func closingTheTerminalOrStoppingEndsCleanlyWithTheWholeRecording(signal: Int32) throws {
        let (recorded, status, log) = try recordAndStop(signal: signal, count: 500)
        #expect(status == 0)
        #expect(recorded.count == 500)
        #expect(log.contains("shutting down"))
    }

    @Test func aTornRecordingWithBadLinesStillReplaysAndSaysWhatItSkipped() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("torn.log").path
        var text = "# sensorbridge recording v1\n# started 1.0 source /dev/ttyACM0 baud 9600\n"
        for index in 0..<100 { text += String(format: "%d.%06d %d,2,3\n", index / 50, (index % 50) * 20_000, index) }
        text += "garbage-without-a-time-stamp\n0.x 1,2,3\n"
        for index in 100..<200 { text += String(format: "%d.%06d %d,2,3\n", index / 50, (index % 50) * 20_000, index) }
        text += "4.000000 200,2"  // the crash cut this one
        try text.write(toFile: path, atomically: true, encoding: .utf8)

        let replay = try BridgeProcess(["--replay", path, "--speed", "0", "--history", "600"])
        let report = waitForStatus(replay) { (($0["source"] as? [String: Any])?["state"] as? String) == "finished" }
        #expect(report["samples"] as? Int == 200)
        #expect(report["parseErrors"] as? Int == 0)
        let detail = (report["source"] as? [String: Any])?["detail"] as? String ?? ""
        #expect(detail.contains("skipped 3 unreadable lines"))
        #expect(replay.stop() == 0)
        let log = replay.standardError
        #expect(log.contains("torn.log line 103 skipped: expected '<seconds> <line>'"))
        #expect(log.contains("torn.log line 104 skipped: bad time stamp"))
        #expect(log.contains("torn.log line 205 skipped: cut off: no newline at the end of the file"))
        #expect(log.contains("skipped 3 unreadable lines"))
    }

    @Test func aLargeReplayIsStreamedNotLoaded() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("large.log").path
        // ~105 MB: 210 000 lines of 48 values.
        #expect(FileManager.default.createFile(atPath: path, contents: nil))
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        handle.write(Data("# sensorbridge recording v1\n".utf8))
        let values = (0..<48).map { String(format: "%.4f", 1000 + Double($0) * 1.0001) }.joined(separator: ",")
        var block = ""
        for index in 0..<210_000 {
            block += "\(index / 100).\(String(format: "%06d", (index % 100) * 10_000)) \(values)\n"
            if index % 5000 == 4999 {
                handle.write(Data(block.utf8))
                block = ""
            }
        }
        try handle.close()
        let size = try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int ?? 0
        #expect(size > 100_000_000)

        let replay = try BridgeProcess(["--replay", path, "--speed", "0", "--buffer", "1024"])
        // Its peak while a good part of the file has gone through.
        waitForStatus(replay, timeout: 60) { ($0["samples"] as? Int ?? 0) > 40_000 }
        let peakKB = try #require(replay.memoryKB("VmHWM"))
        print("replaying a \(size / 1_000_000) MB log: peak RSS \(peakKB / 1024) MB")
        #expect(peakKB < 80 * 1024)
        #expect(replay.stop() == 0)
    }

    @Test func outOfDescriptorsANewClientStillGetsIn() throws {
        let bridge = try BridgeProcess(["--replay", BridgeProcess.packageRoot + "/hardware/recordings/tilt-60s-50hz.log",
                                        "--loop", "--handshake-timeout", "120"], descriptorLimit: 256)
        // 300 idle connections: more than 256 descriptors can hold.
        var idle: [TestWebSocketClient] = []
        for _ in 0..<300 { idle.append(try TestWebSocketClient(port: bridge.port, receiveTimeout: 2)) }
        usleep(500_000)
        let cpuBefore = bridge.cpuSeconds
        sleep(2)
        let cpuUsed = bridge.cpuSeconds - cpuBefore
        print("CPU with 300 idle sockets at a limit of 256: \(cpuUsed) s in 2 s")
        #expect(cpuUsed < 0.5)  // calm: no accept spin (a spin uses the whole 2 s)

        // The bridge is full of silent sockets: a newcomer takes the place of the oldest of them.
        let started = Date()
        let newcomer = try TestWebSocketClient(port: bridge.port, receiveTimeout: 1)
        #expect(try newcomer.handshake().statusCode == 101)
        #expect(Date().timeIntervalSince(started) < 1)
        func closedByBridge(_ client: TestWebSocketClient) -> Bool {
            var descriptor = pollfd(fd: client.socket, events: Int16(POLLIN), revents: 0)
            return poll(&descriptor, 1, 0) == 1
        }
        let displaced = idle.filter(closedByBridge).count
        let held = idle.count - displaced
        print("300 idle sockets at a limit of 256: \(held) held, \(displaced) displaced by newer ones")
        #expect(held > 150 && held < 256)
        #expect(displaced > 40)
        #expect(bridge.stop() == 0)
    }

    @Test func aFloodOfConnectionsIsLoggedInSummary() throws {
        let bridge = try BridgeProcess(["--replay", BridgeProcess.packageRoot + "/hardware/recordings/tilt-60s-50hz.log", "--loop"])
        for _ in 0..<200 {
            let client = try TestWebSocketClient(port: bridge.port)
            #expect(try client.handshake().statusCode == 101)
        }
        sleep(2)
        #expect(bridge.stop() == 0)
        let log = bridge.standardError
        let lines = log.split(separator: "\n")
        let connected = lines.filter { $0.contains("connected to /graph") }.count
        print("200 connections: \(lines.count) log lines, \(connected) of them 'connected'")
        #expect(connected < 60)
        #expect(log.contains("more connection events in the last second not shown"))
        #expect(lines.count < 150)
    }
}
