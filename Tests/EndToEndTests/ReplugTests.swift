import Foundation
import Testing
import TestSupport
#if canImport(Glibc)
import Glibc
#endif

/// A "board" that can be unplugged: socat makes a pty and a symlink to it (`link=`), as udev
/// makes `/dev/serial/by-id` links; killing socat is pulling the cable (the bridge's reads
/// fail), starting it again on the same link is plugging the board back in under a new
/// /dev/pts name.
private final class SocatBoard {
    let link: String
    private var process: Process?
    private var input: Pipe?

    init(link: String) { self.link = link }

    static var socatPath: String? {
        ["/usr/bin/socat", "/bin/socat", "/usr/local/bin/socat"].first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    /// Plugs in: starts socat and waits until the link is there.
    func plugIn() throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try #require(Self.socatPath, "socat is needed (apt-get install socat)"))
        process.arguments = ["pty,raw,echo=0,link=\(link)", "STDIN"]
        let input = Pipe()
        process.standardInput = input
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        self.process = process
        self.input = input
        let deadline = Date().addingTimeInterval(5)
        while (try? FileManager.default.destinationOfSymbolicLink(atPath: link)) == nil {
            try #require(Date() < deadline, "socat made no link")
            usleep(5_000)
        }
    }

    /// A line from the board.
    func send(_ line: String) {
        guard let input else { return }
        let bytes = Array((line + "\r\n").utf8)
        _ = bytes.withUnsafeBytes { write(input.fileHandleForWriting.fileDescriptor, $0.baseAddress, $0.count) }
    }

    /// Pulls the cable: socat is killed, so the pty's master side closes under the bridge,
    /// and the link goes, as udev removes a board's links. (SIGKILL, because a child
    /// started from a test thread inherits its blocked signals, SIGTERM among them.)
    func unplug() {
        guard let process else { return }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        try? input?.fileHandleForWriting.close()
        try? FileManager.default.removeItem(atPath: link)
        self.process = nil
        self.input = nil
    }

    deinit { unplug() }
}

private func openDescriptors(of pid: Int32) throws -> Int {
    try FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/fd").count
}

private func residentKiB(of pid: Int32) -> Int {
    let status = (try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)) ?? ""
    let line = status.split(separator: "\n").first { $0.hasPrefix("VmRSS:") } ?? ""
    return Int(line.split(separator: " ").dropFirst().first ?? "") ?? 0
}

/// The batched stream's messages, read with a short time-out so the test can keep writing.
private func messages(from client: TestWebSocketClient) -> [[String: Any]] {
    var received: [[String: Any]] = []
    while let text = try? client.readText(),
          let object = (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any] {
        received.append(object)
    }
    return received
}

@Suite(.serialized) struct ReplugTests {
    @Test func twentyReplugsResumeWithinTwoSecondsWithoutTheClientNoticingMoreThanAStatus() throws {
        signal(SIGPIPE, SIG_IGN)  // writing to a socat that just ended must not end the test
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("replug-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let board = SocatBoard(link: folder + "/board")
        try board.plugIn()
        let bridge = try BridgeProcess([board.link, "--baud", "115200"])
        let pid = bridge.process.processIdentifier

        let client = try TestWebSocketClient(port: bridge.port, receiveTimeout: 0.02)
        #expect(try client.handshake(protocols: ["sensorbridge.batch.v1"]).statusCode == 101)

        /// Writes numbered lines until the client has received one numbered `first` or above.
        func streamUntilReceived(from first: Int) -> (resumedAfter: TimeInterval?, statuses: [String]) {
            let start = Date()
            var statuses: [String] = []
            var number = first
            while Date().timeIntervalSince(start) < 5 {
                board.send("\(number),\(number % 1000),512")
                number += 1
                for message in messages(from: client) {
                    if message["type"] as? String == "status", let state = message["state"] as? String {
                        statuses.append(state)
                    }
                    if message["type"] as? String == "samples",
                       let samples = message["samples"] as? [[Double]],
                       samples.contains(where: { $0.count > 1 && $0[1] >= Double(first) }) {
                        return (Date().timeIntervalSince(start), statuses)
                    }
                }
            }
            return (nil, statuses)
        }

        #expect(streamUntilReceived(from: 0).resumedAfter != nil, "samples flow before any replug")
        let descriptorsBefore = try openDescriptors(of: pid)
        let memoryBefore = residentKiB(of: pid)

        var resumeTimes: [TimeInterval] = []
        for replug in 1...20 {
            board.unplug()
            usleep(100_000)
            try board.plugIn()
            let (resumedAfter, statuses) = streamUntilReceived(from: replug * 100_000)
            let seconds = try #require(resumedAfter, "replug \(replug): no samples within 5 s")
            #expect(seconds < 2, "replug \(replug): samples resumed after \(seconds) s")
            #expect(statuses.contains("disconnected") && statuses.last == "connected",
                    "replug \(replug): the batched stream said \(statuses)")
            resumeTimes.append(seconds)
        }

        #expect(bridge.process.isRunning && bridge.process.processIdentifier == pid, "the bridge never restarted")
        let descriptorsAfter = try openDescriptors(of: pid)
        let memoryAfter = residentKiB(of: pid)
        #expect(descriptorsAfter == descriptorsBefore)
        // Resident memory may move by what the allocator keeps; a leak per replug would show as more.
        #expect(memoryAfter - memoryBefore < 8 * 1024, "resident memory grew from \(memoryBefore) KiB to \(memoryAfter) KiB")
        let sorted = resumeTimes.sorted()
        print("replug: 20 replugs, resume median \(sorted[10]) s, max \(sorted[19]) s; "
            + "descriptors \(descriptorsBefore) → \(descriptorsAfter); RSS \(memoryBefore) → \(memoryAfter) KiB")

        let report = waitForStatus(bridge) { ($0["source"] as? [String: Any])?["state"] as? String == "connected" }
        #expect((report["clients"] as? [Any])?.count == 1, "the same client is still connected")
        #expect(report["reconnects"] as? Int == 20)
        let (_, metrics) = try bridge.get("/metrics")
        #expect(metrics.contains("sensorbridge_source_reconnects_total 20"))
        #expect(bridge.stop() == 0)
        #expect(bridge.standardError.contains("went away"))
    }
}
