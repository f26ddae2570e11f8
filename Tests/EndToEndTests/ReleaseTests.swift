import Foundation
import Testing
import TestSupport
#if canImport(Glibc)
import Glibc
#endif

/// `sensorbridge release`: the bridge lets go of the port while a command (an upload) runs,
/// then takes it back. The fake uploader proves the bridge let go by looking at the bridge's
/// open descriptors (a pty, unlike a USB port, can be opened twice), then writes to the port.
@Suite(.serialized) struct ReleaseTests {
    /// `sensorbridge release ARGS`, to its end: exit status and what it said.
    private func release(_ arguments: [String], timeout: TimeInterval = 40) throws -> (status: Int32, stderr: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: BridgeProcess.binaryPath)
        process.arguments = ["release"] + arguments
        let errors = Pipe()
        process.standardError = errors
        process.standardOutput = FileHandle.nullDevice
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning, Date() < deadline { usleep(20_000) }
        if process.isRunning { process.terminate() }
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self))
    }

    /// A Python uploader: fails with 3 if the bridge still has the port open, else writes
    /// `uploaded` to it, waits `seconds` (looking again: the bridge must not take it back
    /// meanwhile) and exits with `status`.
    private func uploader(bridge: BridgeProcess, port: String, seconds: Double, status: Int) -> [String] {
        let script = """
            import os, sys, time
            def held():
                fds = "/proc/%d/fd" % \(bridge.process.processIdentifier)
                return any(os.readlink(os.path.join(fds, f)) == "\(port)" for f in os.listdir(fds) if os.path.exists(os.path.join(fds, f)))
            if held(): sys.exit(3)
            fd = os.open("\(port)", os.O_WRONLY | os.O_NOCTTY)
            os.write(fd, b"uploaded\\n")
            end = time.time() + \(seconds)
            while time.time() < end:
                if held(): sys.exit(4)
                time.sleep(0.1)
            os.close(fd)
            sys.exit(\(status))
            """
        return ["python3", "-c", script]
    }

    @Test func theCommandGetsThePortAndTheBridgeTakesItBackAfter() throws {
        let pty = try PseudoTerminal()
        let bridge = try BridgeProcess([pty.slavePath, "--baud", "115200", "--no-store"])
        let viewer = try Viewer(bridge)
        for index in 0..<10 { pty.write(line(index)) }
        #expect(viewer.read { $0.samples.count >= 10 })
        let name = "pts" + (pty.slavePath.split(separator: "/").last.map(String.init) ?? "")
        let listed = try bridge.get("/api/sources")
        #expect(listed.status == 200 && listed.body.contains(#""name":"\#(name)""#) && listed.body.contains(#""canRelease":true"#), "\(listed)")

        // Held for 2 s a request and renewed while the uploader runs 3 s: never taken back early.
        let ended = try release(["--port", "\(bridge.port)", "--hold", "2", "--"] + uploader(bridge: bridge, port: pty.slavePath, seconds: 3, status: 7))
        let endedAt = Date()
        #expect(ended.status == 7, "the command's status, not 3 (port still held) or 4 (taken back): \(ended.stderr)")
        #expect(ended.stderr.contains("released \(name)"), "\(ended.stderr)")
        #expect(pty.readAvailable(milliseconds: 500).contains("uploaded"), "the uploader wrote to the port")
        #expect(viewer.read(seconds: 10) { $0.statuses.contains { $0.state == "released" } }, "\(viewer.statuses)")
        #expect(viewer.statuses.first { $0.state == "released" }?.detail.contains("\(pty.slavePath) is closed for an upload (asked by 127.0.0.1:") == true,
                "\(viewer.statuses)")

        // Reopened within 2 s of the command's end (a little more allowed for a busy machine).
        #expect(state(waitForStatus(bridge, timeout: 4) { state($0) == "connected" }) == "connected")
        #expect(Date().timeIntervalSince(endedAt) < 4)
        #expect(viewer.read(seconds: 5) { $0.lastState == "connected" }, "\(viewer.statuses)")
        for index in 10..<20 { pty.write(line(index)) }
        #expect(viewer.read { $0.samples.count >= 20 })
        #expect(viewer.values.suffix(10) == (10..<20).map(row))
    }

    @Test func aReleaseWhoseCommandDiesRunsOutAndTheBridgeReopensByItself() throws {
        let pty = try PseudoTerminal()
        let bridge = try BridgeProcess([pty.slavePath, "--baud", "115200", "--no-store"])
        waitForStatus(bridge) { state($0) == "connected" }
        let name = "pts" + (pty.slavePath.split(separator: "/").last.map(String.init) ?? "")
        // A release that nobody renews or ends (as when `release` is killed): 2 s, then back.
        let answer = try post(bridge, "/api/sources/\(name)/release?seconds=2")
        #expect(answer.status == 200, "\(answer)")
        #expect(state(waitForStatus(bridge) { state($0) == "released" }) == "released")
        #expect(state(waitForStatus(bridge, timeout: 6) { state($0) == "connected" }) == "connected")
    }

    @Test func whatCannotBeReleasedIsSaidAndTheCommandIsNotRun() throws {
        let replay = try BridgeProcess(["--replay", BridgeProcess.packageRoot + "/hardware/recordings/tilt-60s-50hz.log", "--loop"])
        let marker = FileManager.default.temporaryDirectory.appendingPathComponent("release-ran-\(getpid())").path
        let refused = try release(["--port", "\(replay.port)", "--", "touch", marker])
        #expect(refused.status == 1)
        #expect(refused.stderr.contains("a replay reads a file: there is no port to release"), "\(refused.stderr)")
        #expect(!FileManager.default.fileExists(atPath: marker), "the command ran")

        let unknown = try release(["nosuch", "--port", "\(replay.port)", "--", "touch", marker])
        #expect(unknown.status == 1)
        #expect(unknown.stderr.contains("no source is named 'nosuch'; this bridge has: tilt-60s-50hz"), "\(unknown.stderr)")
        #expect(!FileManager.default.fileExists(atPath: marker), "the command ran")
    }

    @Test func anotherSitesPageMayNotReleaseThePort() throws {
        let pty = try PseudoTerminal()
        let bridge = try BridgeProcess([pty.slavePath, "--baud", "115200", "--no-store", "--allow-origin", "*"])
        waitForStatus(bridge) { state($0) == "connected" }
        let name = "pts" + (pty.slavePath.split(separator: "/").last.map(String.init) ?? "")
        let foreign = try post(bridge, "/api/sources/\(name)/release", origin: "http://evil.example")
        #expect(foreign.status == 403)
        #expect(foreign.body.contains("pages from http://evil.example may not release the board's port"), "\(foreign.body)")
        let wrongMethod = try bridge.get("/api/sources/\(name)/release")
        #expect(wrongMethod.status == 405)
        #expect(state(waitForStatus(bridge) { _ in true }) == "connected", "the port is still read")
        let own = try post(bridge, "/api/sources/\(name)/release?seconds=1", origin: "http://127.0.0.1:\(bridge.port)")
        #expect(own.status == 200, "the bridge's own page may: \(own)")
    }

    @Test func aBridgeWithATokenReleasesOnlyWithIt() throws {
        let pty = try PseudoTerminal()
        let bridge = try BridgeProcess([pty.slavePath, "--baud", "115200", "--no-store", "--require-token"])
        let token = try #require(bridge.standardOutput.range(of: "?token=").map { found in
            String(bridge.standardOutput[found.upperBound...].prefix { !$0.isWhitespace })
        })
        let marker = FileManager.default.temporaryDirectory.appendingPathComponent("release-token-ran-\(getpid())").path
        let without = try release(["--port", "\(bridge.port)", "--", "touch", marker])
        #expect(without.status == 1)
        #expect(without.stderr.contains("needs its access token"), "\(without.stderr)")
        #expect(!FileManager.default.fileExists(atPath: marker), "the command ran")
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("release-token-\(getpid())").path
        try token.write(toFile: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: file) }
        let with = try release(["--port", "\(bridge.port)", "--token", file, "--", "sh", "-c", "exit 0"])
        #expect(with.status == 0, "\(with.stderr)")
        #expect(with.stderr.contains("is reopening"), "\(with.stderr)")
    }

    @Test func withNoBridgeTheCommandRunsAnyway() throws {
        let unused = try BridgeProcess(["--replay", BridgeProcess.packageRoot + "/hardware/recordings/tilt-60s-50hz.log"])
        let port = unused.port
        #expect(unused.stop() == 0)
        let ran = try release(["--port", "\(port)", "--", "sh", "-c", "exit 5"])
        #expect(ran.status == 5)
        #expect(ran.stderr.contains("no bridge listens on 127.0.0.1:\(port)"), "\(ran.stderr)")
    }

    /// POST `path` (no body), with `origin` as a page would send it.
    private func post(_ bridge: BridgeProcess, _ path: String, origin: String? = nil) throws -> (status: Int, body: String) {
        let client = try TestWebSocketClient(port: bridge.port)
        let originLine = origin.map { "Origin: \($0)\r\n" } ?? ""
        try client.send(Array("POST \(path) HTTP/1.1\r\nHost: 127.0.0.1:\(bridge.port)\r\n\(originLine)Content-Length: 0\r\nConnection: close\r\n\r\n".utf8))
        let response = try client.readResponseHead()
        let length = Int(response.values("Content-Length").first ?? "0") ?? 0
        return (response.statusCode, String(decoding: try client.readBytes(length), as: UTF8.self))
    }
}
