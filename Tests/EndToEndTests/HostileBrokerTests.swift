import Foundation
import Synchronization
import Testing
import TestSupport
#if canImport(Glibc)
import Glibc
#endif

/// Issue 19's probe against a relay, through a real Mosquitto broker: anyone who may publish
/// on the relay's topic sends what they like. The relay refuses it, counts it, logs a few
/// lines, and goes on serving the edge's real samples, every one, in order.
@Suite(.serialized) struct HostileBrokerTests {
    private struct Setup {
        let broker: MosquittoBroker
        let base: String
        let pty: PseudoTerminal
        let edge: BridgeProcess
        let relay: BridgeProcess
        let viewer: Viewer
        var samplesTopic: String { base + "/samples" }
    }

    /// An edge on a pty publishing to a fresh base topic, a relay of it, a viewer of the relay.
    private func setUp(relayArguments: [String] = []) throws -> Setup {
        let broker = try MosquittoBroker()
        let base = "test/" + UUID().uuidString.prefix(8).lowercased()
        let url = "mqtt://127.0.0.1:\(broker.port)/\(base)"
        let pty = try PseudoTerminal()
        let edge = try BridgeProcess([pty.slavePath, "--baud", "115200", "--mqtt", url])
        let relay = try BridgeProcess(["--source", url] + relayArguments)
        waitForStatus(relay) { state($0) == "connected" }
        pty.write("ax,ay,az\r\n")
        return Setup(broker: broker, base: base, pty: pty, edge: edge, relay: relay, viewer: try Viewer(relay))
    }

    /// Writes lines `range` as a board would, about `perSecond` a second.
    private func board(_ setup: Setup, _ range: Range<Int>, perSecond: Int = 200) {
        for index in range {
            setup.pty.write(line(index))
            usleep(useconds_t(1_000_000 / perSecond))
        }
    }

    /// The viewer got exactly rows 0..<count, in order, and was told of no gap.
    private func expectEveryRealSample(_ setup: Setup, count: Int, _ comment: Comment) {
        setup.viewer.read(seconds: 20) { $0.samples.count >= count }
        #expect(setup.viewer.values == (0..<count).map(row), comment)
        #expect(setup.viewer.skipped == 0, "no gap was sent to the viewer")
        let report = mqttReport(waitForStatus(setup.relay) { number(mqttReport($0, role: "relay"), "samplesReceived") >= count }, role: "relay")
        #expect(number(report, "samplesMissed") == 0, "no false gap: \(report)")
        #expect(setup.relay.process.isRunning, "the relay is alive")
    }

    private func now() -> String { String(format: "%.3f", Date().timeIntervalSince1970 * 1000) }

    @Test func theProbesMessagesAreRefusedCountedAndCostTheRealStreamNothing() throws {
        let setup = try setUp()
        // The board streams all along, 200 lines a second, as a real one would.
        let board = PacedBoard(setup.pty, intervalMicros: 5_000)
        setup.viewer.read { $0.samples.count >= 50 }
        let topic = setup.samplesTopic
        // The crash: a number whose sum with the count overflows.
        try setup.broker.publish(topic, Array(#"{"type":"samples","seq":18446744073709551615,"samples":[[1795938613499,1,2,3]]}"#.utf8))
        // The sequence that overflowed the missed-samples counter.
        for seq in ["18446744073709551606", "0", "18446744073709551606", "0", "18446744073709551606"] {
            try setup.broker.publish(topic, Array(#"{"type":"samples","seq":\#(seq),"samples":[[\#(now()),1,2,3]]}"#.utf8))
        }
        // Old numbers again (a replay), a number far ahead, 10 000 values, 100 names, a long detail.
        for _ in 0..<3 { try setup.broker.publish(topic, Array(#"{"type":"samples","seq":0,"samples":[[\#(now()),9,9,9]]}"#.utf8)) }
        try setup.broker.publish(topic, Array(#"{"type":"samples","seq":993733,"samples":[[\#(now()),9,9,9]]}"#.utf8))
        let wide = (0..<10_000).map(String.init).joined(separator: ",")
        for _ in 0..<20 { try setup.broker.publish(topic, Array(#"{"type":"samples","seq":50,"samples":[[\#(now()),\#(wide)]]}"#.utf8)) }
        let names = (0..<100).map { "\"n\($0)\"" }.joined(separator: ",")
        try setup.broker.publish(setup.base + "/channels", Array(#"{"type":"channels","seq":50,"channels":[\#(names)]}"#.utf8))
        try setup.broker.publish(setup.base + "/status",
                                 Array(#"{"type":"status","state":"connected","detail":"\#(String(repeating: "x", count: 4000))"}"#.utf8))
        // The second probe's: a samples message on the status topic; two chained messages of a
        // forged run, timed just ahead, while the edge streams (they stopped a relay for good).
        try setup.broker.publish(setup.base + "/status", Array(#"{"type":"samples","seq":50,"samples":[[\#(now()),9,9,9]]}"#.utf8))
        for seq in [0, 3] {
            try setup.broker.publish(topic, Array(#"{"type":"samples","seq":\#(seq),"stream":"FORGED0","samples":[[\#(now()),9,9,9],[\#(now()),9,9,9],[\#(now()),9,9,9]]}"#.utf8))
        }
        usleep(500_000)
        let count = board.stop()
        expectEveryRealSample(setup, count: count, "every real sample in order, none of the probe's")
        #expect(setup.viewer.channels == ["ax", "ay", "az"], "no foreign names: \(setup.viewer.channels)")
        #expect(setup.viewer.statuses.allSatisfy { $0.detail.utf8.count <= 512 }, "a long detail is cut")
        // 32 sent that no edge could send; a few plausible ones (the forged run, the far number if
        // timed a second later) wait to be confirmed, and are refused when their time is up.
        let status = waitForStatus(setup.relay) { number(mqttReport($0, role: "relay"), "messagesRejected") >= 24 }
        #expect(number(mqttReport(status, role: "relay"), "messagesRejected") >= 24, "each refused and counted: \(mqttReport(status, role: "relay"))")
        #expect((status["channels"] as? [String])?.count ?? 99 <= 64)
        #expect(!setup.relay.standardError.contains("started again"), "a replay is no restart")
        let metrics = try setup.relay.get("/metrics").body
        #expect(metrics.contains("sensorbridge_mqtt_messages_rejected_total{role=\"relay\"}"))
        #expect(setup.relay.stop() == 0 && setup.edge.stop() == 0)
    }

    @Test func aHundredMegabyteMessageNeverReachesTheRelaysMemoryOrItsBrokerLink() throws {
        let setup = try setUp()
        board(setup, 0..<50)
        setup.viewer.read { $0.samples.count >= 50 }
        let before = setup.relay.memoryKB("VmRSS") ?? 0
        // 100 MB of valid samples: the broker drops it for this client (MQTT 5 Maximum Packet Size).
        var huge = Array(#"{"type":"samples","seq":50,"samples":["#.utf8)
        let row = Array("[\(now()),1,2,3],".utf8)
        huge.reserveCapacity(100_000_100)
        while huge.count < 100_000_000 { huge += row }
        huge.removeLast()
        huge += Array("]}".utf8)
        try setup.broker.publish(setup.samplesTopic, huge)
        // Just over the relay's limit, small enough for the broker to send: refused unread.
        let over = Array(#"{"type":"status","state":"connected","detail":"\#(String(repeating: "y", count: (1 << 20) + 10))"}"#.utf8)
        try setup.broker.publish(setup.base + "/status", over)
        board(setup, 50..<150)
        expectEveryRealSample(setup, count: 150, "the real stream goes on")
        let report = mqttReport(waitForStatus(setup.relay) { number(mqttReport($0, role: "relay"), "messagesRejected") >= 1 }, role: "relay")
        #expect(number(report, "connectionsLost") == 0, "the broker link kept its keepalive: \(report)")
        #expect(number(report, "messagesRejected") == 1, "the one over the limit, refused unread: \(report)")
        #expect(setup.relay.standardError.contains("bytes on \(setup.base)/status unread"), "\(setup.relay.standardError)")
        #expect(setup.broker.log.contains("Dropping too large outgoing PUBLISH"), "the broker kept the 100 MB one")
        let peak = setup.relay.memoryKB("VmHWM") ?? .max
        #expect(peak - before < 60_000, "memory stayed flat: \(before) kB before, peak \(peak) kB")
        #expect(setup.relay.stop() == 0 && setup.edge.stop() == 0)
    }

    /// 50 000 hostile messages a second for 10 s, of every kind the probe found, while the
    /// board sends 200 lines a second.
    @Test func aFloodOfHostileMessagesLeavesTheRealStreamWholeAndMemoryFlat() throws {
        let setup = try setUp()
        board(setup, 0..<50)
        setup.viewer.read { $0.samples.count >= 50 }
        let rssBefore = setup.relay.memoryKB("VmRSS") ?? 0
        let board = PacedBoard(setup.pty, from: 50, intervalMicros: 5_000)
        let stamp = now()
        let sent = try setup.broker.flood(setup.samplesTopic, perSecond: 50_000, seconds: 10) { index in
            switch index % 8 {
            case 0: #"{"type":"samples","seq":\#(UInt64(index) &* 0x9E37_79B9_7F4A_7C15),"samples":[[\#(stamp),1,2,3]]}"#
            case 1: "garbage \(index)"
            case 2: #"{"type":"samples","seq":0,"samples":[[\#(stamp),9,9,9]]}"#
            case 3: #"{"type":"samples","seq":18446744073709551615,"samples":[[1,2]]}"#
            case 4: String(repeating: "[", count: 40)
            case 5: #"{"type":"channels","seq":0,"channels":["a,b"]}"#
            case 6: #"{"type":"samples","seq":7,"stream":"forged\#(index)","samples":[[\#(stamp),9,9,9]]}"#
            default: #"{"type":"samples","seq":1,"samples":[[1e300,1]]}"#
            }
        }
        let count = board.stop()
        #expect(sent >= 450_000, "the flood was a flood: \(sent) messages")
        expectEveryRealSample(setup, count: count, "every real sample of the \(count), in order, through \(sent) hostile messages")
        let report = mqttReport(waitForStatus(setup.relay) { _ in true }, role: "relay")
        #expect(number(report, "messagesDropped") == 0, "the relay kept up: \(report)")
        #expect(number(report, "messagesRejected") >= sent * 9 / 10, "refused and counted: \(report)")
        let rssAfter = setup.relay.memoryKB("VmRSS") ?? .max
        #expect(rssAfter - rssBefore < 40_000, "memory flat: \(rssBefore) kB before, \(rssAfter) kB after")
        let logLines = setup.relay.standardError.split(separator: "\n").count
        #expect(logLines < 12 * 10, "a few log lines a second: \(logLines)")
        #expect(setup.relay.standardError.contains("more refused MQTT messages in the last second not shown"))
        #expect(setup.relay.stop() == 0 && setup.edge.stop() == 0)
    }

    /// libmosquitto has no words for its keepalive error: the relay said "Unknown error.".
    @Test func aBrokerThatStopsAnsweringIsSaidInWords() throws {
        let setup = try setUp()
        board(setup, 0..<10)
        setup.viewer.read { $0.samples.count >= 10 }
        let pid = try #require(setup.broker.processIdentifier)
        kill(pid, SIGSTOP)
        defer { kill(pid, SIGCONT) }
        let status = waitForStatus(setup.relay, timeout: 40) { number(mqttReport($0, role: "relay"), "connectionsLost") >= 1 }
        let lastError = mqttReport(status, role: "relay")["lastError"] as? String ?? ""
        #expect(lastError.contains("stopped answering"), "\(lastError)")
        #expect(!setup.relay.standardError.contains("Unknown error"), "\(setup.relay.standardError)")
        kill(pid, SIGCONT)
        #expect(setup.relay.stop() == 0 && setup.edge.stop() == 0)
    }
}
