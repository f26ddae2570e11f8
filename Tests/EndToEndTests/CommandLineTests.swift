import Foundation
import Testing
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

    @Test func noDeviceAtAllSaysWhatToPass() throws {
        let (status, stderr) = try run([])
        #expect(status == 2)
        #expect(stderr.contains("--replay"))
    }

    @Test func unreadableReplaySaysSo() throws {
        let (status, stderr) = try run(["--replay", "/nonexistent/log"])
        #expect(status == 1)
        #expect(stderr.contains("cannot read /nonexistent/log"))
    }

    @Test func listShowsRealDevicesOrSaysThereAreNone() throws {
        let bridge = try BridgeProcess(["list"], waitForListening: false, addPort: false)
        #expect(bridge.waitForExit(timeout: 15) == 0)
        usleep(100_000)
        let lines = bridge.standardOutput.split(separator: "\n")
        #expect(!lines.isEmpty)
        if lines.first?.hasPrefix("No serial devices") != true {
            for line in lines {
                let path = String(line.split(separator: " ").first ?? "")
                #expect(path.hasPrefix("/dev/") && FileManager.default.fileExists(atPath: path), "\(line)")
            }
        }
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
