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
    /// `count` lines 10 ms apart (100 Hz, each its own read of the pty), then the size of each
    /// `samples` message a batched viewer got, once it has them all.
    private func messageSizes(gather: String, count: Int = 120) throws -> [Int] {
        let pty = try PseudoTerminal()
        let bridge = try BridgeProcess([pty.slavePath, "--no-store", "--history", "0", "--gather", gather])
        defer { _ = bridge.stop() }
        let client = try TestWebSocketClient(port: bridge.port, receiveTimeout: 10)
        #expect(try client.handshake(path: "/graph?history=0", protocols: ["sensorbridge.batch.v1"]).statusCode == 101)
        waitForStatus(bridge) { ($0["clients"] as? [Any])?.count == 1 }
        for index in 0..<count {
            pty.write("\(index),\(index * 3)\r\n")
            usleep(10_000)
        }
        var sizes: [Int] = []
        while sizes.reduce(0, +) < count {
            let text = try client.readText()
            guard let message = (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any],
                  message["type"] as? String == "samples", let samples = message["samples"] as? [[Double]] else { continue }
            #expect(samples.map { Int($0[1]) } == Array(sizes.reduce(0, +)..<sizes.reduce(0, +) + samples.count), "in order, none lost")
            sizes.append(samples.count)
        }
        #expect(sizes.reduce(0, +) == count)
        return sizes
    }

    @Test func aLargerBudgetSendsSeveralSamplesAMessage() throws {
        // 300 ms at 100 Hz is about 30 samples a message; the first sample after the viewer
        // joined comes after a quiet spell, served at once, alone.
        let gathered = try messageSizes(gather: "300")
        #expect(gathered.count <= 8, "\(gathered)")
        #expect(gathered.count >= 3 && gathered.dropFirst().dropLast().allSatisfy { $0 >= 10 }, "\(gathered), the last may be short")
    }

    @Test func noBudgetSendsEachReadAtOnce() throws {
        // Lines 10 ms apart are separate reads; a loaded machine may join a few.
        let single = try messageSizes(gather: "0")
        #expect(single.count >= 60, "\(single)")
        #expect(Double(single.reduce(0, +)) / Double(single.count) <= 2, "\(single)")
    }

    @Test func aBudgetOutOfRangeIsRefusedWithTheRange() throws {
        for value in ["-1", "1001", "nan", "soon"] {
            let bridge = try BridgeProcess(["/dev/null", "--gather", value], waitForListening: false)
            #expect(bridge.waitForExit(timeout: 15) == 64, "\(value)")
            usleep(100_000)
            #expect(bridge.standardError.contains("--gather"), "\(value): \(bridge.standardError)")
        }
    }
}
