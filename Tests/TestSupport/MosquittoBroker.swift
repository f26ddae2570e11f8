import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// A real Eclipse Mosquitto broker (Debian's `mosquitto`) on a free loopback port, with no
/// persistence, so a restart forgets everything as a crashed broker would. Killed with the test.
public final class MosquittoBroker {
    public let port: Int
    private let folder: String
    private var process: Process?

    public static var binary: String {
        ["/usr/sbin/mosquitto", "/usr/bin/mosquitto"].first { FileManager.default.isExecutableFile(atPath: $0) } ?? "mosquitto"
    }

    /// - Parameter security: extra lines for the listener (TLS files, a password file…),
    ///   written by `prepare` into the broker's own folder, which it gets as its argument.
    public init(security prepare: ((_ folder: String) throws -> String)? = nil) throws {
        port = try Self.freePort()
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("mosquitto-\(UUID().uuidString)").path
        // Readable by the `mosquitto` user the broker drops to when started as root.
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o755])
        let security = try prepare?(folder) ?? "allow_anonymous true\n"
        try "listener \(port) 127.0.0.1\n\(security)persistence false\nlog_dest stderr\n"
            .write(toFile: folder + "/mosquitto.conf", atomically: true, encoding: .utf8)
        try start()
    }

    /// The running broker's process, to stop (SIGSTOP) as a hung broker would be.
    public var processIdentifier: Int32? { process.map(\.processIdentifier) }

    /// The folder the broker's files are in.
    public var files: String { folder }

    /// Runs a tool (openssl, mosquitto_passwd) in the broker's folder; throws with its output if it fails.
    public static func run(_ tool: String, _ arguments: [String], in folder: String) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [tool] + arguments
        process.currentDirectoryURL = URL(fileURLWithPath: folder)
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        try process.run()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw NSError(domain: "\(tool) failed: \(text)", code: 1) }
    }

    deinit {
        kill()
        try? FileManager.default.removeItem(atPath: folder)
    }

    /// Starts it (again, on the same port) and waits until it accepts connections.
    public func start() throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Self.binary)
        process.arguments = ["-c", folder + "/mosquitto.conf"]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle(forWritingAtPath: folder + "/log") ?? {
            FileManager.default.createFile(atPath: folder + "/log", contents: nil)
            return FileHandle(forWritingAtPath: folder + "/log") ?? .nullDevice
        }()
        try process.run()
        self.process = process
        let deadline = Date().addingTimeInterval(10)
        while !Self.accepts(port: port) {
            guard process.isRunning, Date() < deadline else {
                throw NSError(domain: "mosquitto did not start on port \(port): \(log)", code: 1)
            }
            usleep(20_000)
        }
    }

    /// Kills it outright (SIGKILL): every connection drops without a word, like a crash.
    public func kill() {
        guard let process, process.isRunning else { return }
        Glibc.kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }

    public var log: String { (try? String(contentsOfFile: folder + "/log", encoding: .utf8)) ?? "" }

    /// `mosquitto_sub -v` on `topic`, as a third party would read it, until `finish()`.
    /// (Its own -W time-out cannot be used: the test runner's children start with SIGALRM blocked.)
    public final class Subscriber {
        private let process = Process()
        private let output = Pipe()
        private final class Text: Sendable {
            let text = Mutex("")
        }
        private let received = Text()

        init(port: Int, topic: String) throws {
            process.executableURL = URL(fileURLWithPath: "/usr/bin/mosquitto_sub")
            process.arguments = ["-h", "127.0.0.1", "-p", String(port), "-t", topic, "-v"]
            process.standardOutput = output
            process.standardError = FileHandle.nullDevice
            let received = received
            output.fileHandleForReading.readabilityHandler = { handle in
                let data = handle.availableData
                received.text.withLock { $0 += String(decoding: data, as: UTF8.self) }
            }
            try process.run()
        }

        deinit { Glibc.kill(process.processIdentifier, SIGKILL) }

        /// Stops it and returns what it printed, as (topic, payload) pairs.
        public func finish() -> [(topic: String, payload: String)] {
            usleep(200_000)  // what is still on its way
            Glibc.kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            usleep(100_000)
            output.fileHandleForReading.readabilityHandler = nil
            return received.text.withLock { $0 }.split(separator: "\n").compactMap { line in
                let parts = line.split(separator: " ", maxSplits: 1)
                return parts.count == 2 ? (String(parts[0]), String(parts[1])) : nil
            }
        }
    }

    /// Publishes one message as a third party would (`mosquitto_pub`, QoS 0), any size.
    public func publish(_ topic: String, _ payload: [UInt8]) throws {
        let file = folder + "/payload-\(UUID().uuidString)"
        try Data(payload).write(to: URL(fileURLWithPath: file))
        defer { try? FileManager.default.removeItem(atPath: file) }
        try Self.run("mosquitto_pub", ["-h", "127.0.0.1", "-p", String(port), "-t", topic, "-f", file], in: folder)
    }

    /// Publishes `message(i)` for i = 0, 1, … on `topic` at `perSecond` for `seconds`, one
    /// `mosquitto_pub -l` fed in steps of 10 ms; returns how many were handed to it.
    public func flood(_ topic: String, perSecond: Int, seconds: Double, message: (Int) -> String) throws -> Int {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/mosquitto_pub")
        process.arguments = ["-h", "127.0.0.1", "-p", String(port), "-t", topic, "-l"]
        let input = Pipe()
        process.standardInput = input
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        let start = Date()
        var sent = 0
        while Date().timeIntervalSince(start) < seconds {
            let due = Int(Date().timeIntervalSince(start) * Double(perSecond))
            var batch = ""
            while sent < due {
                batch += message(sent) + "\n"
                sent += 1
            }
            if !batch.isEmpty { input.fileHandleForWriting.write(Data(batch.utf8)) }
            usleep(10_000)
        }
        try input.fileHandleForWriting.close()
        process.waitUntilExit()
        return sent
    }

    public func subscriber(_ topic: String) throws -> Subscriber {
        let subscriber = try Subscriber(port: port, topic: topic)
        usleep(300_000)  // subscribed before anything is published
        return subscriber
    }

    private static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0
            }
        }
        guard bound else { throw NSError(domain: "no free port", code: Int(errno)) }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    private static func accepts(port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = UInt16(port).bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
        }
    }
}
