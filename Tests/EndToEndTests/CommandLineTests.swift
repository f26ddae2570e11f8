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

    @Test func nonStandardBaudListsTheValidRates() throws {
        let (status, stderr) = try run(["/dev/null", "--baud", "12345"])
        #expect(status != 0)
        #expect(stderr.contains("12345 is not a standard baud rate"))
        #expect(stderr.contains("115200"))
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
}
