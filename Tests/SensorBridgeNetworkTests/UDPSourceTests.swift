import Foundation
import Logging
import SensorBridgeStream
import Testing
import TestSupport
@testable import SensorBridgeNetwork
#if canImport(Glibc)
import Glibc
#endif

/// A real `UDPSource` on 127.0.0.1 (port 0: the system picks), real datagrams, a real pipeline.
@Suite(.serialized)
struct UDPSourceTests {
    private func started(_ bench: Bench, host: String = "127.0.0.1", datagramsPerSecond: Double = 20_000) throws -> (UDPSource, Int) {
        let udp = UDPSource(address: NetworkSourceAddress(transport: .udp, host: host, port: 0),
                            datagramsPerSecond: datagramsPerSecond, logger: Logger(label: "test"))
        try udp.start(into: bench.pipeline)
        let port = try #require(udp.boundPort)
        return (udp, port)
    }

    @Test func eachDatagramIsALineWithOrWithoutItsNewlineAndNeverJoinsTheNext() throws {
        let bench = Bench(kind: .udp)
        let (udp, port) = try started(bench)
        defer { udp.stop() }
        let sender = try TestUDPSender()
        sender.send("x:1", to: port)
        #expect(eventually { bench.lines.count == 1 })
        sender.send("2\n", to: port)
        sender.send("x:3", to: port)
        #expect(eventually { bench.lines.count == 3 })
        #expect(bench.lines == ["x:1", "2", "x:3"], "never x:12")
        #expect(bench.samples.first == [1])
        #expect(!bench.samples.contains([12]))
        #expect(bench.samples.last == [3])
    }

    @Test func severalLinesInOneDatagramAreSeveralSamples() throws {
        let bench = Bench(kind: .udp)
        let (udp, port) = try started(bench)
        defer { udp.stop() }
        let sender = try TestUDPSender()
        sender.send("a:1,b:2\na:3,b:4\n", to: port)
        sender.send("a:5,b:6\r\na:7,b:8", to: port)
        #expect(eventually { bench.samples.count == 4 })
        #expect(bench.samples == [[1, 2], [3, 4], [5, 6], [7, 8]])
        #expect(udp.receivedDatagrams == 2)
    }

    @Test func theStatusSaysWhereItListensAndWhoSends() throws {
        let bench = Bench(kind: .udp)
        let (udp, port) = try started(bench)
        defer { udp.stop() }
        #expect(eventually { bench.status.state == .connected })
        #expect(bench.status.detail == "listening on udp://127.0.0.1:\(port); nothing received yet")
        let first = try TestUDPSender()
        first.send("a:1\n", to: port)
        #expect(eventually { bench.status.detail == "receiving on udp://127.0.0.1:\(port) from 127.0.0.1:\(first.port)" })
        // A second board within the second: said when the second is over, without another datagram.
        let second = try TestUDPSender()
        second.send("a:2\n", to: port)
        #expect(eventually(within: 3) { bench.status.detail == "receiving on udp://127.0.0.1:\(port) from 2 senders, newest 127.0.0.1:\(second.port)" },
                "\(bench.changes)")
        // Taking turns is no news.
        let said = bench.changes.count
        first.send("a:3\n", to: port)
        second.send("a:4\n", to: port)
        #expect(eventually { bench.samples.count == 4 })
        Thread.sleep(forTimeInterval: 1.2)
        #expect(bench.changes.count == said)
    }

    @Test func everyAddressTakesIPv4SendersAndShowsThemAsIPv4() throws {
        let bench = Bench(kind: .udp)
        let (udp, port) = try started(bench, host: "")
        defer { udp.stop() }
        #expect(bench.changes.isEmpty || bench.status.detail.hasPrefix("listening on udp://:\(port)"))
        let sender = try TestUDPSender()
        sender.send("a:1\n", to: port)
        #expect(eventually { bench.samples == [[1]] })
        #expect(bench.status.detail == "receiving on udp://:\(port) from 127.0.0.1:\(sender.port)")
    }

    @Test func aFloodOverTheLimitIsBoundedAndCounted() throws {
        let bench = Bench(kind: .udp)
        let (udp, port) = try started(bench, datagramsPerSecond: 50)
        defer { udp.stop() }
        let sender = try TestUDPSender()
        let sent = 400
        let began = Date()
        for index in 0..<sent {
            sender.send("a:\(index)\n", to: port)
            if index % 20 == 19 { usleep(1_000) }  // the socket's buffer is not what is tested
        }
        #expect(eventually { udp.receivedDatagrams + udp.droppedDatagrams == UInt64(sent) },
                "received \(udp.receivedDatagrams), dropped \(udp.droppedDatagrams)")
        let elapsed = Date().timeIntervalSince(began)
        let allowed = UInt64(50 + 50 * elapsed + 1)
        #expect(udp.receivedDatagrams >= 50, "a second's burst is taken")
        #expect(udp.receivedDatagrams <= allowed)
        #expect(udp.droppedDatagrams >= UInt64(sent) - allowed)
        #expect(eventually { bench.samples.count == Int(udp.receivedDatagrams) })
    }

    @Test func aPortInUseIsRefusedAtStartWithASentence() throws {
        let holder = try TestUDPSender()
        let udp = UDPSource(address: NetworkSourceAddress(transport: .udp, host: "127.0.0.1", port: holder.port), logger: Logger(label: "test"))
        #expect {
            try udp.start(into: Bench(kind: .udp).pipeline)
        } throws: { error in
            "\(error)" == "cannot listen on udp://127.0.0.1:\(holder.port): address already in use (another program, or another sensorbridge, listens on that port; choose another)"
        }
        let everywhere = UDPSource(address: NetworkSourceAddress(transport: .udp, host: "", port: holder.port), logger: Logger(label: "test"))
        #expect(throws: SourceError.self) { try everywhere.start(into: Bench(kind: .udp).pipeline) }
    }
}
