import Foundation
import Testing
import TestSupport
#if canImport(Glibc)
import Glibc
#endif

/// Boards on the network through the built binary: `tcp://` (the bridge connects, and
/// reconnects when the board's server goes and comes back) and `udp://` (the bridge listens;
/// each datagram ends its line), both through the same framer and parser as a serial board.
@Suite(.serialized) struct NetworkSourceTests {
    @Test func aBoardServingLinesOverTCPIsStreamedAndReconnectedTo() throws {
        var server = try TestTCPServer()
        let port = server.port
        let bridge = try BridgeProcess(["tcp://127.0.0.1:\(port)", "--no-store", "--allow-send"])
        #expect(server.acceptClient(), "the bridge connects")
        let connected = waitForStatus(bridge) { state($0) == "connected" }
        #expect((connected["source"] as? [String: Any])?["kind"] as? String == "tcp")
        #expect((connected["source"] as? [String: Any])?["detail"] as? String == "reading tcp://127.0.0.1:\(port)")
        let viewer = try Viewer(bridge)
        for index in 0..<10 { server.send(line(index)) }
        server.send("garbage \u{1}\u{2}\r\n")
        #expect(viewer.read { $0.samples.count >= 10 })
        #expect(viewer.values == (0..<10).map(row))

        // A line from the page reaches the board's end of the connection.
        try viewer.client.sendFrame(opcode: 0x1, payload: Array(#"{"type":"send","line":"rate 100","ending":"lf"}"#.utf8))
        #expect(server.receive(until: "rate 100\n").contains("rate 100\n"))

        // The board's server goes: disconnected; it comes back on the same port: streamed again.
        server.close()
        #expect(viewer.read(seconds: 10) { $0.lastState == "disconnected" }, "\(viewer.statuses)")
        server = try TestTCPServer(port: port)
        #expect(server.acceptClient(within: 15), "the bridge reconnects")
        #expect(viewer.read(seconds: 10) { $0.lastState == "connected" }, "\(viewer.statuses)")
        for index in 10..<20 { server.send(line(index)) }
        #expect(viewer.read { $0.samples.count >= 20 })
        #expect(viewer.values.suffix(10) == (10..<20).map(row))
        let status = waitForStatus(bridge) { _ in true }
        #expect(number(status, "parseErrors") >= 1, "the garbage line was counted, not streamed")
    }

    @Test func datagramsEachEndTheirLineAndSayWhoSent() throws {
        let port = try refusedPort()  // free a moment ago: the bridge listens on it
        let bridge = try BridgeProcess(["udp://127.0.0.1:\(port)", "--no-store", "--allow-send"])
        let listening = waitForStatus(bridge) { state($0) == "connected" }
        #expect(((listening["source"] as? [String: Any])?["detail"] as? String)?.contains("nothing received yet") == true)
        let viewer = try Viewer(bridge)
        let sender = try TestUDPSender()
        // No newline at a datagram's end, two lines in one datagram, and a tail that must not
        // join the next datagram's start.
        sender.send("1,2,3", to: port)
        sender.send("4,5,6\n7,8,9\n", to: port)
        sender.send("10,11,12", to: port)
        sender.send("13,14,15\n", to: port)
        #expect(viewer.read { $0.samples.count >= 5 })
        #expect(viewer.values == [[1, 2, 3], [4, 5, 6], [7, 8, 9], [10, 11, 12], [13, 14, 15]], "\(viewer.values)")
        let status = waitForStatus(bridge) { (($0["source"] as? [String: Any])?["detail"] as? String)?.contains("from 127.0.0.1:\(sender.port)") == true }
        #expect((status["source"] as? [String: Any])?["kind"] as? String == "udp")

        // Nothing can go back to a board that sends datagrams: said, not attempted.
        try viewer.client.sendFrame(opcode: 0x1, payload: Array(#"{"type":"send","line":"rate 100"}"#.utf8))
        #expect(viewer.read { !$0.answers.isEmpty })
        #expect(viewer.answers.first?["reason"] as? String == "the board sends its lines over UDP: nothing can be sent back to it")
    }

    @Test func aNetworkAddressThatIsNoneIsSaidPlainly() throws {
        for (address, words) in [("tcp://127.0.0.1", "port"), ("udp://:99999", "65535"), ("tcp://:23", "host")] {
            let bridge = try BridgeProcess([address], waitForListening: false)
            #expect(bridge.waitForExit(timeout: 15) == 64, "\(address)")
            usleep(100_000)
            #expect(bridge.standardError.contains(address) && bridge.standardError.contains(words), "\(address): \(bridge.standardError)")
        }
    }
}
