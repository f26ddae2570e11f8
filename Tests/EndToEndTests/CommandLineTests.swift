import Foundation
import Testing
import SensorBridgeSerial
import TestSupport

/// Mistakes a user makes get a sentence that says what to do, and a failing exit status.
@Suite struct CommandLineTests {
    private func run(_ arguments: [String]) throws -> (status: Int32?, stderr: String) {
        let bridge = try BridgeProcess(arguments, waitForListening: false)
        let status = bridge.waitForExit(timeout: 15)
        usleep(100_000)  // let the output pipes drain
        return (status, bridge.standardError)
    }

    @Test func missingDeviceSuggestsList() throws {
        let (status, stderr) = try run(["/dev/ttyACM-does-not-exist"])
        #expect(status == 1)
        #expect(stderr.contains("no such device"))
        #expect(stderr.contains("sensorbridge list"))
    }

    @Test func aRateNoDriverCouldMakeListsTheStandardRates() throws {
        let (status, stderr) = try run(["/dev/null", "--baud", "30000000"])
        #expect(status != 0)
        #expect(stderr.contains("30000000 is not a baud rate"))
        #expect(stderr.contains("115200"))
    }

    /// The Arduino IDE's 250000, outside the termios table, set through termios2 on a pty.
    @Test func aCustomBaudRateOpensAndServes() throws {
        let pty = try PseudoTerminal()
        let bridge = try BridgeProcess([pty.slavePath, "--baud", "250000"])
        let status = waitForStatus(bridge) { ($0["source"] as? [String: Any])?["state"] as? String == "connected" }
        #expect((status["source"] as? [String: Any])?["detail"] as? String == "reading \(pty.slavePath) at 250000 baud")
        let client = try TestWebSocketClient(port: bridge.port)
        try client.handshake()
        waitForStatus(bridge) { ($0["clients"] as? [Any])?.count == 1 }
        pty.write("1,2,3\r\n4,5,6\r\n")
        #expect(decodeSample(try client.readText()).map { Array($0.dropFirst()) } == [1, 2, 3])
        #expect(bridge.stop() == 0)
    }

    @Test func notATerminalIsSaidPlainly() throws {
        let (status, stderr) = try run(["/dev/null"])
        #expect(status == 1)
        #expect(stderr.contains("not a serial device"))
    }

    @Test func noDeviceAndNoBoardSaysWhatWasFoundAndWhatToPass() throws {
        // This machine (and CI's) has no Arduino-class board plugged in.
        let devices = try listedDevices()
        try #require(devices.allSatisfy { !$0.hasPrefix("*") })
        let (status, stderr) = try run([])
        #expect(status == 2)
        #expect(stderr.contains("no device given, and no Arduino-class board found"))
        for device in devices { #expect(stderr.contains(device.trimmingCharacters(in: .whitespaces))) }
        #expect(stderr.contains("--replay"))
    }

    @Test func unreadableReplaySaysSo() throws {
        let (status, stderr) = try run(["--replay", "/nonexistent/log"])
        #expect(status == 1)
        #expect(stderr.contains("cannot read /nonexistent/log"))
    }

    /// The device lines of `sensorbridge list`.
    private func listedDevices() throws -> [String] {
        let bridge = try BridgeProcess(["list"], waitForListening: false, addPort: false)
        #expect(bridge.waitForExit(timeout: 15) == 0)
        usleep(100_000)
        let lines = bridge.standardOutput.split(separator: "\n").map(String.init)
        guard lines.first?.hasPrefix("No serial devices") != true else { return [] }
        // The last line explains the marks.
        #expect(lines.last?.contains("Arduino-class") == true)
        return Array(lines.dropLast())
    }

    @Test func listShowsThisMachinesSerialDevices() throws {
        let dump = try BridgeProcess(["list", "--records"], waitForListening: false, addPort: false)
        #expect(dump.waitForExit(timeout: 15) == 0)
        usleep(100_000)
        let records = try JSONDecoder().decode([UdevTTYRecord].self, from: Data(dump.standardOutput.utf8))
        #expect(!records.isEmpty, "every Linux machine has ttys")
        let expected = records.compactMap(SerialDeviceInfo.init(record:)).map(\.devnode).sorted()
        let listed = try listedDevices().map { String($0.dropFirst(2).split(separator: " ").first ?? "") }
        #expect(listed == expected)
        for path in listed { #expect(FileManager.default.fileExists(atPath: path), "\(path)") }
    }

    @Test func aPortInUseIsSaidPlainly() throws {
        let recording = BridgeProcess.packageRoot + "/hardware/recordings/tilt-60s-50hz.raw"
        let first = try BridgeProcess(["--replay", recording])
        let second = try BridgeProcess(["--replay", recording, "--port", String(first.port)], waitForListening: false, addPort: false)
        #expect(second.waitForExit(timeout: 15) == 1)
        usleep(100_000)
        #expect(second.standardError.contains("already in use"))
    }

    private var shippedLog: String { BridgeProcess.packageRoot + "/hardware/recordings/tilt-60s-50hz.log" }

    @Test func versionAndTopLevelHelpShowHowToServe() throws {
        let version = try BridgeProcess(["--version"], waitForListening: false, addPort: false)
        #expect(version.waitForExit(timeout: 15) == 0)
        usleep(100_000)
        #expect(version.standardOutput.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: ".").count == 3)
        let help = try BridgeProcess(["--help"], waitForListening: false, addPort: false)
        #expect(help.waitForExit(timeout: 15) == 0)
        usleep(100_000)
        for option in ["--baud", "--host", "--replay", "--record", "--allow-origin", "--token", "--max-clients", "list"] {
            #expect(help.standardOutput.contains(option), "\(option)")
        }
    }

    @Test(arguments: [
        (["--time-unit", "us"], "--time-unit says what --time-column counts in"),
        (["--time-column", "none", "--time-unit", "us"], "--time-unit says what --time-column counts in"),
        (["--web-policy", "strict"], "--web-policy is for the pages of a --web folder"),
        (["--web-policy", "open", "--web", "/tmp"], "relaxed"),
    ])
    func optionsThatGoTogetherAreAskedForTogether(arguments: [String], reason: String) throws {
        let (status, stderr) = try run(["--replay", shippedLog] + arguments)
        #expect(status == 64, "\(stderr)")
        #expect(stderr.contains(reason), "\(stderr)")
    }

    @Test(arguments: ["999.1.1.1", "no-such-host.invalid"])
    func aHostThatIsNoAddressIsSaidPlainly(host: String) throws {
        let (status, stderr) = try run(["--replay", shippedLog, "--host", host])
        #expect(status != 0)
        #expect(stderr.contains("--host \(host) is neither an IP address nor a name"))
        #expect(stderr.contains("127.0.0.1"))
        #expect(!stderr.contains("SocketAddressError"))
    }

    @Test func anAddressOfAnotherMachineIsSaidPlainly() throws {
        let (status, stderr) = try run(["--replay", shippedLog, "--host", "192.0.2.1", "--port", "0"])
        #expect(status == 1)
        #expect(stderr.contains("192.0.2.1 is not an address of this machine"))
    }

    @Test func everyInterfaceIsPrintedAsAddressesOthersCanOpen() throws {
        let bridge = try BridgeProcess(["--replay", shippedLog, "--host", "0.0.0.0"], waitForListening: false)
        let deadline = Date().addingTimeInterval(15)
        // The warning is logged before the banner is printed: wait for both.
        while !(bridge.standardError.contains("without an access token") && bridge.standardOutput.contains("metrics:")),
              Date() < deadline { usleep(50_000) }
        let output = bridge.standardOutput
        #expect(!output.contains("http://0.0.0.0"))
        #expect(output.contains("page:      http://localhost:"))
        #expect(bridge.standardError.contains("anyone who can reach this machine can watch"))
        #expect(bridge.stop() == 0)
    }

    @Test func replayOfWhatIsNoFileSaysWhatItIs() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("sensorbridge-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let fifo = directory.appendingPathComponent("pipe").path
        #expect(mkfifo(fifo, 0o600) == 0)
        let empty = directory.appendingPathComponent("empty.log").path
        let garbage = directory.appendingPathComponent("garbage.log").path
        #expect(FileManager.default.createFile(atPath: empty, contents: Data()))
        #expect(FileManager.default.createFile(atPath: garbage, contents: Data("# sensorbridge recording v1\nnot a line\n1.x 2\n".utf8)))
        let cases: [(String, String)] = [
            (directory.path, "it is a directory"),
            (fifo, "it is a FIFO (named pipe)"),
            ("/dev/zero", "it is a device, not a recording"),
            (empty, "nothing to replay in \(empty): it is empty"),
            (garbage, "nothing to replay in \(garbage): all of its 2 lines are unreadable"),
        ]
        for (path, message) in cases {
            let (status, stderr) = try run(["--replay", path])
            #expect(status == 1, "\(path)")
            #expect(stderr.contains(message), "\(path): \(stderr)")
        }
    }

    @Test func aTokenFileThatIsMissingOrEmptyIsSaidPlainly() throws {
        let (missing, missingError) = try run(["--replay", shippedLog, "--token", "/nonexistent/token"])
        #expect(missing == 1)
        #expect(missingError.contains("cannot read the token file /nonexistent/token"))
        let (both, bothError) = try run(["--replay", shippedLog, "--token", "-", "--require-token"])
        #expect(both != 0)
        #expect(bothError.contains("not both"))
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("token-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: file) }
        try "two words#x\n".write(toFile: file, atomically: true, encoding: .utf8)
        let (spaced, spacedError) = try run(["--replay", shippedLog, "--token", file])
        #expect(spaced == 1)
        #expect(spacedError.contains("the token may hold only letters, digits and - . _ ~"))
    }

    /// `--store-micros` is refused where no store is written, rather than quietly ignored.
    @Test func storeMicrosWithoutAStoreIsRefused() throws {
        let cases: [([String], String)] = [
            (["--archive", "/nonexistent.sqlite", "--store-micros"], "--store-micros do not go with it"),
            (["--replay", shippedLog, "--store-micros"], "--store-micros needs it"),
            (["--replay", shippedLog, "--no-store", "--store-micros"], "does not go with --no-store"),
        ]
        for (arguments, message) in cases {
            let (status, stderr) = try run(arguments)
            #expect(status != 0, "\(arguments)")
            #expect(stderr.contains(message), "\(arguments): \(stderr)")
        }
    }

    @Test func aTokenFromAFileGuardsTheStatus() throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("token-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: file) }
        try "s3cret-Token_1\n".write(toFile: file, atomically: true, encoding: .utf8)
        let bridge = try BridgeProcess(["--replay", shippedLog, "--token", file])
        #expect(bridge.standardOutput.contains("?token=s3cret-Token_1"))
        #expect(try bridge.get("/api/status").status == 401)
        #expect(try bridge.get("/api/status?token=s3cret-Token_1").status == 200)
        #expect(try bridge.get("/").status == 200)
        #expect(bridge.stop() == 0)
    }
}
