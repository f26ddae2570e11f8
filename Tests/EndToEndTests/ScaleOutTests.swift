import Foundation
import Synchronization
import Testing
import TestSupport
#if canImport(Glibc)
import Glibc
#endif

@Suite(.serialized) struct ScaleOutTests {
    /// A fresh base topic per test: runs never see each other's retained messages.
    private func base() -> String { "test/" + UUID().uuidString.prefix(8).lowercased() }

    @Test func anEdgeOnAPtyFeedsTwoRelaysThroughARealBrokerWithEverySampleInOrder() throws {
        let broker = try MosquittoBroker()
        let url = "mqtt://127.0.0.1:\(broker.port)/\(base())"
        let pty = try PseudoTerminal()
        let edge = try BridgeProcess([pty.slavePath, "--baud", "115200", "--mqtt", url])
        let relays = try (0..<2).map { _ in try BridgeProcess(["--source", url]) }
        // Both relays subscribed and following the edge before the board says anything.
        for relay in relays {
            let status = waitForStatus(relay) { state($0) == "connected" && mqttReport($0, role: "relay")["connected"] as? Bool == true }
            #expect(state(status) == "connected", "relay status: \(status)")
            #expect((status["baud"] as? Int) == 115_200, "the edge's baud rate, as the edge would say")
        }
        let viewers = try relays.map(Viewer.init)
        let local = try Viewer(edge)
        let rows = 600
        // mosquitto_sub reads the topics as a third party would, while the board talks.
        let baseTopic = url.components(separatedBy: "/").dropFirst(3).joined(separator: "/")
        let subscriber = try broker.subscriber(baseTopic + "/#")
        pty.write("ax,ay,az\r\n")
        for index in 0..<rows {
            pty.write(line(index))
            usleep(2_000)  // ~400 lines a second
        }
        for viewer in viewers + [local] {
            viewer.read { $0.samples.count >= rows }
            #expect(viewer.values == (0..<rows).map(row), "every sample, in order, with its values")
            #expect(viewer.channels == ["ax", "ay", "az"])
        }
        for relay in relays {
            let report = mqttReport(waitForStatus(relay) { number(mqttReport($0, role: "relay"), "samplesReceived") >= rows }, role: "relay")
            #expect(number(report, "samplesReceived") == rows)
            #expect(number(report, "samplesMissed") == 0)
            #expect(number(report, "messagesRejected") == 0)
            let metrics = try relay.get("/metrics").body
            #expect(metrics.contains("sensorbridge_mqtt_samples_received_total{role=\"relay\"} \(rows)"))
        }
        let edgeReport = mqttReport(waitForStatus(edge) { number(mqttReport($0, role: "publish"), "samplesPublished") >= rows }, role: "publish")
        #expect(number(edgeReport, "samplesPublished") == rows && number(edgeReport, "samplesDropped") == 0)

        // What a third party reads: the documented payloads on the documented topics.
        let seen = subscriber.finish()
        let status = seen.first { $0.topic == baseTopic + "/status" }
        let statusObject = status.flatMap { try? JSONSerialization.jsonObject(with: Data($0.payload.utf8)) as? [String: Any] }
        #expect(statusObject?["type"] as? String == "status" && statusObject?["state"] as? String == "connected")
        #expect(statusObject?["bridge"] as? String == "online")
        #expect((statusObject?["source"] as? [String: Any])?["name"] as? String == pty.slavePath)
        #expect(seen.contains { $0.topic == baseTopic + "/channels" && $0.payload.hasSuffix(#""channels":["ax","ay","az"]}"#) })
        var next = 0
        for message in seen where message.topic == baseTopic + "/samples" {
            let object = try JSONSerialization.jsonObject(with: Data(message.payload.utf8)) as? [String: Any]
            #expect(object?["type"] as? String == "samples")
            let seq = (object?["seq"] as? NSNumber)?.intValue ?? -1
            let samples = object?["samples"] as? [[Double]] ?? []
            #expect(seq == next, "samples messages follow each other by number")
            #expect(samples.map { Array($0.dropFirst()) } == (seq..<seq + samples.count).map(row))
            next = seq + samples.count
        }
        #expect(next == rows, "mosquitto_sub saw all \(rows) samples")
        // No board here to send to: the relay says where to send instead.
        try viewers[0].client.sendFrame(opcode: 1, payload: Array(#"{"type":"send","line":"?"}"#.utf8))
        #expect(viewers[0].read(seconds: 5) { !$0.answers.isEmpty }, "the relay answers a send")
        #expect(viewers[0].answers.first?["type"] as? String == "send-refused")
        #expect((viewers[0].answers.first?["reason"] as? String)?.contains("relays another bridge") == true)
        for bridge in [edge] + relays { #expect(bridge.stop() == 0) }
    }

    /// Lines lost on the wire at the edge (its sketch's line counter skipped) reach a relay's
    /// viewers, live and late, as `lost` where the edge's own see them; the relay counts them
    /// in `/api/status` and `/metrics` and keeps them in its store.
    @Test func linesLostAtTheEdgeAreShownCountedAndStoredByTheRelay() throws {
        let folder = try TemporaryFolder("sensorbridge-relay")
        let broker = try MosquittoBroker()
        let url = "mqtt://127.0.0.1:\(broker.port)/\(base())"
        let pty = try PseudoTerminal()
        let edge = try BridgeProcess([pty.slavePath, "--baud", "115200", "--mqtt", url, "--no-store"])
        let relay = try BridgeProcess(["--source", url, "--store", folder.file("relay.sqlite"), "--history", "60"])
        let ready = waitForStatus(relay) { state($0) == "connected" && mqttReport($0, role: "relay")["connected"] as? Bool == true }
        #expect(state(ready) == "connected", "relay status: \(ready)")
        let live = try Viewer(relay)
        let local = try Viewer(edge)
        // Lines 0-99, without 20-22 and 60.
        let sent = (0..<100).filter { ![20, 21, 22, 60].contains($0) }
        pty.write(sent.map { "seq:\($0),x:\($0 * 2)\r\n" }.joined())
        #expect(live.read { $0.samples.count >= sent.count }, "\(live.samples.count)")
        for viewer in [local, live, try Viewer(relay)] {
            #expect(viewer.read { $0.samples.count >= sent.count }, "\(viewer.samples.count)")
            #expect(viewer.channels == ["x"])
            #expect(viewer.values == sent.map { [Double($0 * 2)] })
            #expect(viewer.lost.map { "\($0.lines) before #\($0.before)" } == ["3 before #20", "1 before #57"], "\(viewer.lost)")
        }
        let status = waitForStatus(relay) { ($0["linesLost"] as? Int) == 4 && ($0["store"] as? [String: Any])?["samplesStored"] as? Int == sent.count }
        #expect(status["linesLost"] as? Int == 4, "\(status)")
        #expect(number(mqttReport(status, role: "relay"), "messagesRejected") == 0)
        #expect(try relay.get("/metrics").body.contains("sensorbridge_lines_lost_total 4"))
        #expect(relay.standardError.contains("3 lines lost on the wire at the edge"), "\(relay.standardError)")
        let (code, body) = try relay.get("/api/history?from=-1h&to=now")
        let history = try JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any]
        let lost = (history?["events"] as? [[String: Any]] ?? []).filter { $0["state"] as? String == "lost" }
        #expect(code == 200 && lost.map { $0["detail"] as? String } == [
            "3 lines lost on the wire (the sketch's line counter)", "1 line lost on the wire (the sketch's line counter)",
        ], "\(body)")
        for bridge in [edge, relay] { #expect(bridge.stop() == 0) }
    }

    @Test func aBrokerKilledAndRestartedMidStreamCostsTheRelaysAReportedGapAndTheEdgeNothing() throws {
        let broker = try MosquittoBroker()
        let url = "mqtt://127.0.0.1:\(broker.port)/\(base())"
        let pty = try PseudoTerminal()
        let edge = try BridgeProcess([pty.slavePath, "--baud", "115200", "--mqtt", url])
        let relay = try BridgeProcess(["--source", url])
        waitForStatus(relay) { state($0) == "connected" }
        let local = try Viewer(edge)
        let remote = try Viewer(relay)
        let board = PacedBoard(pty, intervalMicros: 10_000)  // 100 lines a second
        #expect(remote.read(seconds: 10) { $0.samples.count >= 50 }, "the relay's viewers get samples: \(remote.samples.count)")
        broker.kill()
        #expect(remote.read(seconds: 10) { $0.lastState == "disconnected" }, "the relay's viewers are told the broker is gone: \(remote.statuses)")
        local.collect(seconds: 2)
        #expect(local.lastState == "connected", "the edge's own viewers see nothing of it")
        try broker.start()
        let before = remote.samples.count
        #expect(remote.read(seconds: 20) { $0.samples.count > before + 50 && $0.lastState == "connected" }, "the relay resumes: \(remote.statuses)")
        let total = board.stop()
        local.read { $0.samples.count >= total }
        #expect(local.values == (0..<total).map(row), "the edge served its own viewer every sample throughout")

        let relayReport = mqttReport(waitForStatus(relay) { number(mqttReport($0, role: "relay"), "samplesMissed") > 0 }, role: "relay")
        let missed = number(relayReport, "samplesMissed")
        #expect(missed > 0 && number(relayReport, "connections") >= 2 && number(relayReport, "connectionsLost") >= 1)
        #expect(remote.statuses.contains { $0.detail.contains("never reached this relay") }, "the gap is reported to viewers: \(remote.statuses)")
        // The relay has what it received in order, with one hole where the broker was down.
        let received = remote.values.map { Int($0[0]) }
        #expect(received == received.sorted() && Set(received).count == received.count)
        let edgeReport = mqttReport(waitForStatus(edge) { number(mqttReport($0, role: "publish"), "connections") >= 2 }, role: "publish")
        #expect(number(edgeReport, "samplesDropped") > 0 && number(edgeReport, "connectionsLost") >= 1)
        #expect(edge.process.isRunning && relay.process.isRunning)
        #expect(edge.standardError.contains("lost the broker"))
        #expect(edge.stop() == 0 && relay.stop() == 0)
    }

    @Test func theEdgeVanishingTurnsEveryRelayDisconnectedAndANewRunTakesOver() throws {
        let broker = try MosquittoBroker()
        let url = "mqtt://127.0.0.1:\(broker.port)/\(base())"
        let pty = try PseudoTerminal()
        let edge = try BridgeProcess([pty.slavePath, "--baud", "115200", "--mqtt", url])
        let relays = try (0..<2).map { _ in try BridgeProcess(["--source", url]) }
        for relay in relays { waitForStatus(relay) { state($0) == "connected" } }
        let viewers = try relays.map(Viewer.init)
        for index in 0..<20 { pty.write(line(index)) }
        for viewer in viewers { viewer.read { $0.samples.count >= 20 } }

        _ = edge.stop(signal: SIGKILL)
        for (relay, viewer) in zip(relays, viewers) {
            #expect(viewer.read(seconds: 10) { $0.lastState == "disconnected" }, "Last Will: \(viewer.statuses)")
            #expect(viewer.statuses.last?.detail.contains("is gone") == true)
            #expect(state(waitForStatus(relay) { state($0) == "disconnected" }) == "disconnected")
        }

        // The bridge comes back (a new run, numbered from 0 again): no false gap, live again.
        let again = try BridgeProcess([pty.slavePath, "--baud", "115200", "--mqtt", url])
        for viewer in viewers { #expect(viewer.read { $0.lastState == "connected" }) }
        for index in 20..<40 { pty.write(line(index)) }
        for (relay, viewer) in zip(relays, viewers) {
            viewer.read { $0.samples.count >= 40 }
            #expect(viewer.values == (0..<40).map(row))
            #expect(number(mqttReport(waitForStatus(relay) { _ in true }, role: "relay"), "samplesMissed") == 0)
        }
        // A planned stop says so: "stopped", not "gone".
        #expect(again.stop() == 0)
        for viewer in viewers {
            #expect(viewer.read(seconds: 10) { $0.lastState == "stopped" }, "\(viewer.statuses)")
        }
        for relay in relays { #expect(relay.stop() == 0) }
    }

    @Test func aBoardUnpluggedAtTheEdgeShowsAsDisconnectedOnEveryRelay() throws {
        let broker = try MosquittoBroker()
        let url = "mqtt://127.0.0.1:\(broker.port)/\(base())"
        let pty = try PseudoTerminal()
        let edge = try BridgeProcess([pty.slavePath, "--mqtt", url])
        let relays = try (0..<2).map { _ in try BridgeProcess(["--source", url]) }
        for relay in relays { waitForStatus(relay) { state($0) == "connected" } }
        let viewers = try relays.map(Viewer.init)
        for index in 0..<10 { pty.write(line(index)) }
        for viewer in viewers { viewer.read { $0.samples.count >= 10 } }
        pty.closeMaster()  // the board's end of the line is gone: the edge sees a hang-up
        for viewer in viewers {
            #expect(viewer.read(seconds: 10) { $0.lastState == "disconnected" }, "\(viewer.statuses)")
            #expect(viewer.statuses.last?.detail.contains(pty.slavePath) == true, "the edge's own reason: \(viewer.statuses)")
        }
        #expect(edge.process.isRunning, "the edge waits for the board to come back")
        #expect(edge.stop() == 0)
        for relay in relays { #expect(relay.stop() == 0) }
    }

    @Test func anUnreachableBrokerNeverStopsTheEdgeServingItsOwnViewers() throws {
        let pty = try PseudoTerminal()
        // A port nothing listens on.
        let broker = try MosquittoBroker()
        let port = broker.port
        broker.kill()
        let edge = try BridgeProcess([pty.slavePath, "--mqtt", "mqtt://127.0.0.1:\(port)/lab/nobody"])
        let viewer = try Viewer(edge)
        for index in 0..<30 { pty.write(line(index)) }
        #expect(viewer.read { $0.samples.count >= 30 })
        #expect(viewer.values == (0..<30).map(row))
        let report = mqttReport(waitForStatus(edge) { number(mqttReport($0, role: "publish"), "samplesDropped") >= 30 }, role: "publish")
        #expect(report["connected"] as? Bool == false)
        #expect(number(report, "samplesDropped") == 30)
        #expect((report["lastError"] as? String)?.contains("refused") == true)
        #expect(edge.standardError.contains("cannot reach the broker"))
        #expect(edge.stop() == 0)
    }

    @Test(arguments: [
        (["--source", "mqtt://127.0.0.1/lab/a", "/dev/ttyACM0"], "give one source"),
        (["--source", "mqtt://127.0.0.1/lab/a", "--record", "/tmp/x.log"], "--record"),
        (["--source", "mqtt://127.0.0.1/lab/a", "--allow-send"], "--allow-send"),
        (["--source", "mqtt://127.0.0.1/lab/a", "--mqtt", "mqtt://127.0.0.1:1883/lab/a"], "its own messages"),
        (["--replay", "x.log", "--mqtt", "mqtt://127.0.0.1"], "no base topic"),
        (["--replay", "x.log", "--mqtt", "mqtt://127.0.0.1/lab/#"], "wildcard"),
        (["--replay", "x.log", "--homeassistant"], "give --mqtt"),
    ])
    func optionsThatCannotWorkAreRefusedBeforeAnythingStarts(arguments: [String], reason: String) throws {
        let bridge = try BridgeProcess(arguments, waitForListening: false)
        let status = bridge.waitForExit(timeout: 10)
        #expect(status == 64, "exit status \(String(describing: status))")
        #expect(bridge.standardError.contains(reason), "\(bridge.standardError)")
    }
}

/// A broker that takes only TLS, with a certificate of its own CA, and only a known user.
@Suite(.serialized) struct SecuredBrokerTests {
    private func securedBroker() throws -> MosquittoBroker {
        try MosquittoBroker { folder in
            let openssl = { (arguments: [String]) in try MosquittoBroker.run("openssl", arguments, in: folder) }
            try openssl(["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.pem", "-days", "2", "-subj", "/CN=sensorbridge test CA"])
            try openssl(["req", "-newkey", "rsa:2048", "-nodes", "-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=127.0.0.1"])
            try "subjectAltName=IP:127.0.0.1\n".write(toFile: folder + "/san.ext", atomically: true, encoding: .utf8)
            try openssl(["x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
                         "-out", "server.pem", "-days", "2", "-extfile", "san.ext"])
            try MosquittoBroker.run("mosquitto_passwd", ["-c", "-b", "passwords", "edge", "s3cret pass"], in: folder)
            for file in ["server.key", "passwords"] { chmod(folder + "/" + file, 0o644) }
            try "s3cret pass\n".write(toFile: folder + "/edge.password", atomically: true, encoding: .utf8)
            try "wrong\n".write(toFile: folder + "/wrong.password", atomically: true, encoding: .utf8)
            return "cafile \(folder)/ca.pem\ncertfile \(folder)/server.pem\nkeyfile \(folder)/server.key\n"
                + "allow_anonymous false\npassword_file \(folder)/passwords\n"
        }
    }

    @Test func anEdgeAndARelayMeetOverTLSWithAPasswordFromAFile() throws {
        let broker = try securedBroker()
        let url = "mqtts://edge@127.0.0.1:\(broker.port)/lab/secure"
        let files = broker.files
        let pty = try PseudoTerminal()
        let edge = try BridgeProcess([pty.slavePath, "--mqtt", url, "--mqtt-ca", files + "/ca.pem", "--mqtt-password-file", files + "/edge.password"])
        let relay = try BridgeProcess(["--source", url, "--mqtt-ca", files + "/ca.pem", "--mqtt-password-file", files + "/edge.password"])
        let status = waitForStatus(relay) { state($0) == "connected" }
        #expect(state(status) == "connected", "\(status) \(relay.standardError) \(broker.log)")
        let viewer = try Viewer(relay)
        for index in 0..<50 { pty.write(line(index)) }
        #expect(viewer.read { $0.samples.count >= 50 })
        #expect(viewer.values == (0..<50).map(row))
        #expect(!edge.standardError.contains("s3cret"), "the password is never logged")
        #expect(edge.stop() == 0 && relay.stop() == 0)
    }

    @Test func aWrongPasswordOrAnUntrustedCertificateIsReportedAndRetriedWithoutStoppingTheEdge() throws {
        let broker = try securedBroker()
        let files = broker.files
        let pty = try PseudoTerminal()
        let wrongPassword = try BridgeProcess([pty.slavePath, "--mqtt", "mqtts://edge@127.0.0.1:\(broker.port)/lab/secure",
                                               "--mqtt-ca", files + "/ca.pem", "--mqtt-password-file", files + "/wrong.password"])
        let refused = mqttReport(waitForStatus(wrongPassword) { mqttReport($0, role: "publish")["lastError"] != nil }, role: "publish")
        #expect((refused["lastError"] as? String)?.contains("not authorised") == true, "\(refused)")
        #expect(refused["connected"] as? Bool == false)
        // The system's CAs do not know the test CA: TLS fails, and says so.
        let untrusted = try BridgeProcess(["--source", "mqtts://edge@127.0.0.1:\(broker.port)/lab/secure",
                                           "--mqtt-password-file", files + "/edge.password"])
        let failed = waitForStatus(untrusted) { mqttReport($0, role: "relay")["lastError"] != nil }
        #expect(mqttReport(failed, role: "relay")["connected"] as? Bool == false)
        #expect((mqttReport(failed, role: "relay")["lastError"] as? String)?.contains("certificate verify failed") == true,
                "the reason is the certificate: \(mqttReport(failed, role: "relay"))")
        #expect(state(failed) == "disconnected", "the relay's page says it cannot reach the broker")
        #expect(wrongPassword.process.isRunning && untrusted.process.isRunning)
        #expect(wrongPassword.stop() == 0 && untrusted.stop() == 0)
    }
}

@Suite(.serialized) struct HomeAssistantDiscoveryTests {
    @Test func theBoardIsAnnouncedChannelByChannelWithItsNewestValuesOnceASecond() throws {
        let broker = try MosquittoBroker()
        let pty = try PseudoTerminal()
        let edge = try BridgeProcess([pty.slavePath, "--mqtt", "mqtt://127.0.0.1:\(broker.port)/lab/ha1", "--homeassistant"])
        waitForStatus(edge) { mqttReport($0, role: "publish")["connected"] as? Bool == true }
        let subscriber = try broker.subscriber("#")
        pty.write("ax,ay,az\r\n")
        for index in 0..<75 {
            pty.write(line(index))
            usleep(20_000)  // 50 a second, for 1.5 s
        }
        let seen = subscriber.finish()
        let configs = seen.filter { $0.topic.hasPrefix("homeassistant/sensor/sensorbridge_lab_ha1/") }
        #expect(configs.map(\.topic) == ["ax", "ay", "az"].map { "homeassistant/sensor/sensorbridge_lab_ha1/\($0)/config" })
        let config = configs.first.flatMap { try? JSONSerialization.jsonObject(with: Data($0.payload.utf8)) as? [String: Any] }
        #expect(config?["state_topic"] as? String == "lab/ha1/state")
        #expect(config?["availability_topic"] as? String == "lab/ha1/status")
        #expect(config?["value_template"] as? String == "{{ value_json['ax'] }}")
        #expect((config?["device"] as? [String: Any])?["model"] as? String == pty.slavePath)
        let states = seen.filter { $0.topic == "lab/ha1/state" }.compactMap {
            try? JSONSerialization.jsonObject(with: Data($0.payload.utf8)) as? [String: Double]
        }
        #expect((1...3).contains(states.count), "about one a second, not one per sample: \(states.count)")
        #expect(states.first.map { Set($0.keys) } == ["ax", "ay", "az"])
        #expect(edge.stop() == 0)
    }
}
