import Foundation
import Testing
import TestSupport
#if canImport(Glibc)
import Glibc
#endif

/// `--gather MS`, the latency budget: samples that come faster than it go to a viewer
/// together (one write, one `samples` message, for several), which is what lets a bridge
/// feed more viewers of a fast board; 0 writes each read of the device at once.
@Suite struct LatencyBudgetTests {
    /// `count` lines `apartMicros` apart (each its own read of the pty, mostly), then the size
    /// of each `samples` message a batched viewer got, once it has them all, and the seconds
    /// the writing took.
    private func messageSizes(gather: String?, count: Int = 120, apartMicros: UInt32 = 10_000) throws -> (sizes: [Int], seconds: Double) {
        let pty = try PseudoTerminal()
        let bridge = try BridgeProcess([pty.slavePath, "--no-store", "--history", "0"] + (gather.map { ["--gather", $0] } ?? []))
        defer { _ = bridge.stop() }
        let client = try TestWebSocketClient(port: bridge.port, receiveTimeout: 10)
        #expect(try client.handshake(path: "/graph?history=0", protocols: ["sensorbridge.batch.v1"]).statusCode == 101)
        waitForStatus(bridge) { ($0["clients"] as? [Any])?.count == 1 }
        let started = Date()
        for index in 0..<count {
            pty.write("\(index),\(index * 3)\r\n")
            usleep(apartMicros)
        }
        let seconds = Date().timeIntervalSince(started)
        var sizes: [Int] = []
        while sizes.reduce(0, +) < count {
            let text = try client.readText()
            guard let message = (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any],
                  message["type"] as? String == "samples", let samples = message["samples"] as? [[Double]] else { continue }
            #expect(samples.map { Int($0[1]) } == Array(sizes.reduce(0, +)..<sizes.reduce(0, +) + samples.count), "in order, none lost")
            sizes.append(samples.count)
        }
        #expect(sizes.reduce(0, +) == count)
        return (sizes, seconds)
    }

    @Test func aLargerBudgetSendsSeveralSamplesAMessage() throws {
        // 300 ms at 100 Hz is about 30 samples a message; the first sample after the viewer
        // joined comes after a quiet spell, served at once, alone. A loaded machine writes
        // the lines slower: a message per 300 ms of the writing, and one more at each end.
        let (gathered, seconds) = try messageSizes(gather: "300")
        #expect(gathered.count >= 3 && Double(gathered.count) <= seconds / 0.3 + 3, "\(gathered) in \(seconds) s")
        #expect(gathered.dropFirst().dropLast().allSatisfy { $0 >= 5 }, "\(gathered), the last may be short")
    }

    @Test func noBudgetSendsEachReadAtOnceWhereTheDefaultGathers() throws {
        // Lines 2 ms apart: the default 8 ms gathers several a message, 0 sends each read
        // as it comes (a loaded machine may join a few reads, for both alike).
        let (byDefault, _) = try messageSizes(gather: nil, apartMicros: 2_000)
        let (single, _) = try messageSizes(gather: "0", apartMicros: 2_000)
        #expect(Double(single.count) >= 1.5 * Double(byDefault.count), "0: \(single); the default: \(byDefault)")
        #expect(byDefault.count <= 90, "the default gathers: \(byDefault)")
    }

    @Test func aBudgetOutOfRangeIsRefusedWithTheRange() throws {
        // `--gather=-1`: as `--gather -1`, the parser would take -1 for an option.
        for arguments in [["--gather=-1"], ["--gather", "1001"], ["--gather", "nan"], ["--gather", "soon"]] {
            let bridge = try BridgeProcess(["/dev/null"] + arguments, waitForListening: false)
            #expect(bridge.waitForExit(timeout: 15) == 64, "\(arguments)")
            usleep(100_000)
            let said = bridge.standardError
            #expect(said.contains("--gather"), "\(arguments): \(said)")
            if arguments != ["--gather", "soon"] { #expect(said.contains("must be 0") && said.contains("1000 milliseconds"), "\(arguments): \(said)") }
        }
    }
}
