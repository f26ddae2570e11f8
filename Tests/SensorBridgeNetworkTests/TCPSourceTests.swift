import Foundation
import Logging
import SensorBridgeStream
import Testing
import TestSupport
@testable import SensorBridgeNetwork

/// A real `TCPSource` against real servers on 127.0.0.1, into a real pipeline and stream.
@Suite(.serialized)
struct TCPSourceTests {
    private func source(port: Int, silence: Double = 30) -> TCPSource {
        TCPSource(address: NetworkSourceAddress(transport: .tcp, host: "127.0.0.1", port: port),
                  silenceLimitSeconds: silence, logger: Logger(label: "test"))
    }

    @Test func linesFromTheServerBecomeSamplesAndAServerOpenedAgainIsReadAgain() throws {
        let server = try TestTCPServer()
        let port = server.port
        let bench = Bench(kind: .tcp)
        let tcp = source(port: port)
        try tcp.start(into: bench.pipeline)
        defer { tcp.stop() }
        #expect(server.acceptClient())
        #expect(eventually { bench.status.state == .connected })
        #expect(bench.status.detail == "reading tcp://127.0.0.1:\(port)")
        server.send("a:1,b:2\n")
        server.send("a:3,b:4\n")
        #expect(eventually { bench.samples.count == 2 })
        #expect(bench.samples == [[1, 2], [3, 4]])
        #expect(bench.stream.channelLayout?.names == ["a", "b"])

        server.close()
        #expect(eventually { bench.status.state == .disconnected })
        #expect(bench.changes.contains { $0.hasPrefix("disconnected: 127.0.0.1:\(port) closed the connection; connecting again in ") },
                "\(bench.changes)")

        let reopened = try TestTCPServer(port: port)
        #expect(reopened.acceptClient())
        #expect(eventually { bench.status.state == .connected })
        reopened.send("a:5,b:6\n")
        #expect(eventually { bench.samples.count == 3 })
        #expect(bench.samples == [[1, 2], [3, 4], [5, 6]])
        #expect(bench.stream.reconnects == 1)
    }

    @Test func aRefusedPeerAtStartIsSaidAndRetriedUntilAServerAppears() throws {
        let port = try refusedPort()
        let bench = Bench(kind: .tcp)
        let tcp = source(port: port)
        try tcp.start(into: bench.pipeline)
        defer { tcp.stop() }
        #expect(eventually { bench.status.state == .disconnected })
        #expect(bench.changes.first == "disconnected: cannot reach 127.0.0.1:\(port): connection refused; trying again in 0.25 s")
        #expect(throws: SendRefusal("the board at 127.0.0.1:\(port) is not connected; the line was not sent")) {
            try tcp.writeLine(Array("rate 100\n".utf8))
        }
        // The waits grow: the next attempts say so.
        #expect(eventually { bench.changes.contains { $0.hasSuffix("trying again in 1 s") } })

        let server = try TestTCPServer(port: port)
        #expect(server.acceptClient())
        #expect(eventually { bench.status.state == .connected })
        server.send("a:1,b:2\n")
        #expect(eventually { bench.samples == [[1, 2]] })
    }

    @Test func garbageIsRejectedByTheParserAndLaterLinesAreStillRead() throws {
        let server = try TestTCPServer()
        let bench = Bench(kind: .tcp)
        let tcp = source(port: server.port)
        try tcp.start(into: bench.pipeline)
        defer { tcp.stop() }
        #expect(server.acceptClient())
        server.send([0xFF, 0xFE, 0x00, 0x13, 0x80, 0x0A, 0xC3, 0x28, 0x0A])
        server.send("a:1,b:2\n")
        #expect(eventually { bench.samples.count == 1 })
        #expect(bench.samples == [[1, 2]])
        #expect(bench.stream.statistics.snapshot.parseErrorTotal == 2)
        #expect(bench.status.state == .connected, "garbage is the parser's business, not the connection's")
    }

    @Test func aPeerThatSendsNothingIsSaidOnceAndKept() throws {
        let server = try TestTCPServer()
        let bench = Bench(kind: .tcp)
        let tcp = source(port: server.port, silence: 1)
        try tcp.start(into: bench.pipeline)
        defer { tcp.stop() }
        #expect(server.acceptClient())
        let silent = "connected: connected to 127.0.0.1:\(server.port); nothing received for 1 s"
        #expect(eventually(within: 5) { bench.changes.last == silent })
        #expect(bench.status.state == .connected)
        // Two more limits of silence: still one sentence, still the same connection.
        Thread.sleep(forTimeInterval: 2.2)
        #expect(bench.changes.filter { $0 == silent }.count == 1)
        #expect(bench.stream.reconnects == 0)
        server.send("a:1,b:2\n")
        #expect(eventually { bench.samples == [[1, 2]] })
        #expect(bench.status.detail == "reading tcp://127.0.0.1:\(server.port)", "it says it reads again")
    }

    @Test func aLineWrittenToTheSourceReachesThePeerAndAPeerThatDoesNotReadRefusesIt() throws {
        let server = try TestTCPServer()
        let bench = Bench(kind: .tcp)
        let tcp = source(port: server.port)
        try tcp.start(into: bench.pipeline)
        defer { tcp.stop() }
        #expect(server.acceptClient())
        #expect(eventually { bench.status.state == .connected })
        try tcp.writeLine(Array("rate 100\r\n".utf8))
        #expect(server.receive(until: "\n") == "rate 100\r\n")

        // The server reads no more: once the socket's buffers are full a write gives up quickly.
        let chunk = [UInt8](repeating: 0x41, count: 65_536)
        var refusal: SendRefusal?
        for _ in 0..<2_000 {
            do { try tcp.writeLine(chunk) } catch let error as SendRefusal {
                refusal = error
                break
            }
        }
        #expect(refusal?.reason.hasPrefix("the board at 127.0.0.1:\(server.port) is not reading what is sent to it") == true, "\(String(describing: refusal))")
    }

    @Test func stopReturnsAtOnceWhileWaitingToTryAgain() throws {
        let port = try refusedPort()
        let bench = Bench(kind: .tcp)
        let tcp = source(port: port)
        try tcp.start(into: bench.pipeline)
        #expect(eventually { bench.changes.contains { $0.hasSuffix("trying again in 2 s") } })
        let started = Date()
        tcp.stop()
        #expect(Date().timeIntervalSince(started) < 0.5)
        #expect(bench.changes.last == "stopped: stopped reading tcp://127.0.0.1:\(port)")
    }

    @Test func stopReturnsAtOnceWhileAConnectHangs() throws {
        // A listener whose queue is full drops further SYNs: a connect neither succeeds nor fails.
        let server = try TestTCPServer(backlog: 0)
        var fillers: [Int32] = []
        defer { fillers.forEach { close($0) } }
        for _ in 0..<4 {
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0)
            var address = loopback(port: server.port)
            _ = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
            fillers.append(fd)
        }
        usleep(100_000)
        let bench = Bench(kind: .tcp)
        let tcp = source(port: server.port)
        try tcp.start(into: bench.pipeline)
        Thread.sleep(forTimeInterval: 1)
        #expect(bench.status.state == .starting, "the connect still hangs: \(bench.changes)")
        let started = Date()
        tcp.stop()
        #expect(Date().timeIntervalSince(started) < 0.5)
        #expect(bench.status.state == .stopped)
    }

    @Test func aHostNameThatDoesNotExistIsRefusedAtStart() {
        let tcp = TCPSource(address: NetworkSourceAddress(transport: .tcp, host: "no-such-board.invalid", port: 23), logger: Logger(label: "test"))
        let bench = Bench(kind: .tcp)
        #expect {
            try tcp.start(into: bench.pipeline)
        } throws: { error in
            "\(error)".hasPrefix("cannot connect to tcp://no-such-board.invalid:23: the host name no-such-board.invalid is not known")
        }
    }
}
