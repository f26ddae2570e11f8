import Foundation
import Testing
import TestSupport
#if canImport(Glibc)
import Glibc
#endif

/// Several sources in one bridge: two serial boards (ptys), a board serving lines over TCP and
/// one sending UDP datagrams, each its own stream, clients each getting exactly their source's
/// lines, and a board unplugged without the others noticing.
@Suite(.serialized) struct MultiSourceTests {
    private func sources(_ bridge: BridgeProcess) throws -> [[String: Any]] {
        let (status, body) = try bridge.get("/api/sources")
        #expect(status == 200)
        return ((try JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any])?["sources"] as? [[String: Any]]) ?? []
    }

    @Test func fourBoardsOneBridgeEachClientItsOwn() throws {
        let left = try PseudoTerminal()
        let right = try PseudoTerminal()
        let tcp = try TestTCPServer()
        let udpPort = try refusedPort()
        let rightName = "pts" + (right.slavePath.split(separator: "/").last.map(String.init) ?? "")
        let bridge = try BridgeProcess([
            "left=" + left.slavePath, right.slavePath, "tcp://127.0.0.1:\(tcp.port)", "esp=udp://127.0.0.1:\(udpPort)",
            "--baud", "115200", "--no-store",
        ])
        #expect(bridge.standardOutput.contains("serving left (\(left.slavePath)), \(rightName) (\(right.slavePath)), 127.0.0.1-\(tcp.port) (tcp://127.0.0.1:\(tcp.port)), esp (udp://127.0.0.1:\(udpPort))"),
                "\(bridge.standardOutput)")
        #expect(tcp.acceptClient(), "the bridge connects to the TCP board")
        let names = ["left", rightName, "127.0.0.1-\(tcp.port)", "esp"]
        let deadline = Date().addingTimeInterval(10)
        var listed: [[String: Any]] = []
        repeat {
            listed = try sources(bridge)
            if listed.allSatisfy({ $0["state"] as? String == "connected" }) { break }
            usleep(50_000)
        } while Date() < deadline
        #expect(listed.map { $0["name"] as? String ?? "" } == names)
        #expect(listed.map { $0["kind"] as? String ?? "" } == ["serial", "serial", "tcp", "udp"])
        #expect(listed.allSatisfy { $0["state"] as? String == "connected" }, "\(listed)")
        // /api/status keeps its shape for the first source, and lists them all.
        let status = waitForStatus(bridge) { ($0["sources"] as? [Any])?.count == 4 }
        #expect((status["source"] as? [String: Any])?["name"] as? String == left.slavePath)

        let viewers = try names.map { try Viewer(bridge, source: $0) }
        let first = try Viewer(bridge)  // no source: the first
        let sender = try TestUDPSender()
        for index in 0..<10 {
            left.write("\(index),0,0\r\n")
            right.write("\(index),1,1\r\n")
            tcp.send("\(index),2,2\r\n")
            sender.send("\(index),3,3", to: udpPort)
        }
        for (offset, viewer) in viewers.enumerated() {
            #expect(viewer.read { $0.samples.count >= 10 }, "\(names[offset])")
            #expect(viewer.values == (0..<10).map { [Double($0), Double(offset), Double(offset)] }, "\(names[offset]) got only its own lines")
        }
        #expect(first.read { $0.samples.count >= 10 })
        #expect(first.values == (0..<10).map { [Double($0), 0, 0] })

        // The right board is unplugged: it says so; the others go on streaming.
        right.closeMaster()
        #expect(viewers[1].read(seconds: 10) { $0.lastState == "disconnected" }, "\(viewers[1].statuses)")
        for index in 10..<20 {
            left.write("\(index),0,0\r\n")
            tcp.send("\(index),2,2\r\n")
            sender.send("\(index),3,3", to: udpPort)
        }
        for offset in [0, 2, 3] {
            #expect(viewers[offset].read { $0.samples.count >= 20 }, "\(names[offset])")
            #expect(viewers[offset].values.suffix(10) == (10..<20).map { [Double($0), Double(offset), Double(offset)] })
            #expect(viewers[offset].lastState == "connected", "\(names[offset]) never noticed: \(viewers[offset].statuses)")
        }
        #expect(try sources(bridge).map { $0["state"] as? String ?? "" } == ["connected", "disconnected", "connected", "connected"])

        // A source the bridge does not have is refused with the names it has.
        let stranger = try TestWebSocketClient(port: bridge.port)
        let refused = try stranger.handshake(path: "/graph?source=nosuch")
        #expect(refused.statusCode == 404)
        #expect(bridge.stop() == 0)
    }

    /// No board plugged in here (the tests' machines have none): `--all` says what it found.
    @Test func allWithNoBoardSaysSo() throws {
        let bridge = try BridgeProcess(["--all", "--no-store"], waitForListening: false)
        #expect(bridge.waitForExit(timeout: 15) == 2)
        usleep(100_000)
        #expect(bridge.standardError.contains("--all, and no Arduino-class board found"), "\(bridge.standardError)")
    }

    @Test(arguments: [
        (["a=/dev/null", "a=/dev/zero"], "two sources are named a"),
        (["/dev/null", "/dev/null"], "/dev/null is given twice"),
        (["/dev/null", "x=/dev/null"], "/dev/null is given twice"),
        (["b@d=/dev/null"], "a source's name is 1 to 64 letters"),
        (["/dev/ttyACM0", "/dev/ttyUSB0", "--store", "/tmp/x.sqlite"], "holds one source's history"),
        (["--all", "/dev/null"], "--all serves every Arduino-class board"),
    ])
    func sourcesThatCannotGoTogetherAreSaidPlainly(arguments: [String], words: String) throws {
        let bridge = try BridgeProcess(arguments, waitForListening: false)
        let status = bridge.waitForExit(timeout: 15)
        usleep(100_000)
        #expect(status == 64, "\(bridge.standardError)")
        #expect(bridge.standardError.contains(words), "\(bridge.standardError)")
    }
}

/// What works per source with several: a recording each, a store each (read through
/// `source=NAME`), and MQTT topics each under the base.
@Suite(.serialized) struct MultiSourceSinkTests {
    @Test func recordingStoreAndBrokerAreEachSources() throws {
        let left = try PseudoTerminal()
        let right = try PseudoTerminal()
        let rightName = "pts" + (right.slavePath.split(separator: "/").last.map(String.init) ?? "")
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("multi-\(getpid())-\(UUID().uuidString.prefix(6))").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let broker = try MosquittoBroker()
        let base = "test/" + UUID().uuidString.prefix(8).lowercased()
        let url = "mqtt://127.0.0.1:\(broker.port)/\(base)"
        let edge = try BridgeProcess(["left=" + left.slavePath, right.slavePath, "--baud", "115200", "--record", folder + "/session.log",
                                      "--mqtt", url])
        let relay = try BridgeProcess(["--source", url + "/left"])
        waitForStatus(relay) { state($0) == "connected" && mqttReport($0, role: "relay")["connected"] as? Bool == true }
        let relayed = try Viewer(relay)
        for index in 0..<10 {
            left.write("\(index),0,0\r\n")
            right.write("\(index),1,1\r\n")
        }
        #expect(relayed.read { $0.samples.count >= 10 })
        #expect(relayed.values == (0..<10).map { [Double($0), 0, 0] }, "the relay of base/left gets the left board only")

        // Each source's store, through /api/sessions?source=NAME: this run's session (the open
        // one; the suite's earlier runs on a pty of the same number share its default file)
        // holds its own samples only.
        for (name, location) in [("left", left.slavePath), (rightName, right.slavePath)] {
            func current() throws -> [String: Any]? {
                let body = try edge.get("/api/sessions?source=\(name)").body
                let sessions = (try? JSONSerialization.jsonObject(with: Data(body.utf8)) as? [[String: Any]]) ?? []
                return sessions.last { $0["open"] as? Bool == true }
            }
            let deadline = Date().addingTimeInterval(10)
            var session = try current()
            while (session?["samples"] as? NSNumber)?.intValue ?? 0 < 10, Date() < deadline {
                usleep(100_000)
                session = try current()
            }
            #expect((session?["samples"] as? NSNumber)?.intValue == 10, "\(name): \(String(describing: session))")
            #expect(session?["source"] as? String == location, "\(name)'s own store: \(String(describing: session))")
        }
        #expect(edge.stop() == 0)
        let leftLog = try String(contentsOfFile: folder + "/session-left.log", encoding: .utf8)
        let rightLog = try String(contentsOfFile: folder + "/session-\(rightName).log", encoding: .utf8)
        #expect(leftLog.contains("9,0,0") && !leftLog.contains(",1,1"), "\(leftLog.suffix(200))")
        #expect(rightLog.contains("9,1,1") && !rightLog.contains(",0,0"), "\(rightLog.suffix(200))")
        #expect(relay.stop() == 0)
    }
}
