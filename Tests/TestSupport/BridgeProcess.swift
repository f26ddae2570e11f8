import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// The built `sensorbridge` binary running as a child process, for end-to-end tests.
/// It is started on port 0; the port is read from the URL it prints.
public final class BridgeProcess {
    public let process = Process()
    public private(set) var port = 0
    private let stdoutPipe = Pipe()
    private let stderrPipe = Pipe()
    /// What the process printed, appended by the pipes' handlers on their own threads.
    private final class Output: Sendable {
        let text = Mutex("")
        func append(_ data: Data) { text.withLock { $0 += String(decoding: data, as: UTF8.self) } }
    }
    private let stdoutText = Output()
    private let stderrText = Output()

    /// The binary to test: $SENSORBRIDGE_BINARY, or the one beside the test bundle, or
    /// the package's debug build.
    public static var binaryPath: String {
        if let path = ProcessInfo.processInfo.environment["SENSORBRIDGE_BINARY"] { return path }
        let candidates = [
            URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("sensorbridge").path,
            Bundle.main.bundleURL.deletingLastPathComponent().appendingPathComponent("sensorbridge").path,
            packageRoot + "/.build/debug/sensorbridge",
        ]
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0) } ?? candidates.last!
    }

    /// The checkout this test file belongs to (for shipped recordings).
    public static var packageRoot: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
    }

    /// Starts the bridge with `arguments` (and `--port 0` unless `addPort` is false) and waits until it listens.
    /// - Parameter descriptorLimit: runs it under `ulimit -n` (soft and hard), as on a machine with a low limit.
    public init(_ arguments: [String], waitForListening: Bool = true, addPort: Bool = true,
                descriptorLimit: Int? = nil) throws {
        let all = arguments + (addPort ? ["--port", "0"] : [])
        if let descriptorLimit {
            process.executableURL = URL(fileURLWithPath: "/bin/sh")
            process.arguments = ["-c", "ulimit -n \(descriptorLimit) && exec \"$0\" \"$@\"", Self.binaryPath] + all
        } else {
            process.executableURL = URL(fileURLWithPath: Self.binaryPath)
            process.arguments = all
        }
        process.standardOutput = stdoutPipe
        process.standardError = stderrPipe
        process.standardInput = FileHandle.nullDevice
        let stdoutText = stdoutText, stderrText = stderrText
        stdoutPipe.fileHandleForReading.readabilityHandler = { handle in stdoutText.append(handle.availableData) }
        stderrPipe.fileHandleForReading.readabilityHandler = { handle in stderrText.append(handle.availableData) }
        try process.run()
        if waitForListening {
            let deadline = Date().addingTimeInterval(20)
            while port == 0 {
                if let found = Self.port(in: standardOutput) { port = found; break }
                guard process.isRunning, Date() < deadline else {
                    throw NSError(domain: "sensorbridge did not start", code: 1, userInfo: [
                        NSLocalizedDescriptionKey: "sensorbridge did not start: \(standardError)"])
                }
                usleep(20_000)
            }
        }
    }

    deinit {
        if process.isRunning {
            process.terminate()
            process.waitUntilExit()
        }
    }

    public var standardOutput: String { stdoutText.text.withLock { $0 } }
    public var standardError: String { stderrText.text.withLock { $0 } }

    /// Sends `signal` and waits (up to 10 s) for the exit status.
    public func stop(signal: Int32 = SIGTERM) -> Int32? {
        kill(process.processIdentifier, signal)
        return waitForExit(timeout: 10)
    }

    /// Waits for the process to end; nil if it is still running after `timeout`.
    public func waitForExit(timeout: TimeInterval) -> Int32? {
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning && Date() < deadline { usleep(20_000) }
        if process.isRunning { return nil }
        return process.terminationStatus
    }

    /// A line of `/proc/PID/status`, in kB (`VmRSS`, `VmHWM`).
    public func memoryKB(_ field: String) -> Int? {
        guard let text = try? String(contentsOfFile: "/proc/\(process.processIdentifier)/status", encoding: .utf8),
              let line = text.split(separator: "\n").first(where: { $0.hasPrefix(field + ":") }) else { return nil }
        return Int(line.split(separator: " ").dropFirst().first ?? "")
    }

    /// CPU seconds used so far (user + system), from `/proc/PID/stat`.
    public var cpuSeconds: Double {
        guard let text = try? String(contentsOfFile: "/proc/\(process.processIdentifier)/stat", encoding: .utf8),
              let close = text.lastIndex(of: ")") else { return 0 }
        let fields = text[text.index(after: close)...].split(separator: " ")
        // After the name: state is field 3, utime 14 and stime 15 (1-based over the whole line).
        let ticks = (Double(fields[11]) ?? 0) + (Double(fields[12]) ?? 0)
        return ticks / Double(sysconf(Int32(_SC_CLK_TCK)))
    }

    /// Fetches `path` over HTTP and returns the body.
    public func get(_ path: String) throws -> (status: Int, body: String) {
        let client = try TestWebSocketClient(port: port)
        try client.send(Array("GET \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n".utf8))
        let response = try client.readResponseHead()
        let length = Int(response.values("Content-Length").first ?? "0") ?? 0
        return (response.statusCode, String(decoding: try client.readBytes(length), as: UTF8.self))
    }

    private static func port(in text: String) -> Int? {
        guard let range = text.range(of: "http://127.0.0.1:") else { return nil }
        let digits = text[range.upperBound...].prefix { $0.isNumber }
        return digits.isEmpty ? nil : Int(digits)
    }
}
