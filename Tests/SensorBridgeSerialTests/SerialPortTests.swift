import Foundation
import Logging
import Synchronization
import Testing
import TestSupport
@testable import SensorBridgeSerial
import SensorBridgeStream
#if canImport(Glibc)
import Glibc
#endif

struct SerialPortTests {
    @Test func everyStandardRateHasATermiosSpeedAndTheRestGoToTheDriver() {
        for rate in BaudRate.standardRates { #expect(BaudRate.speed(for: rate) != nil, "\(rate)") }
        #expect(BaudRate.speed(for: 9600) == speed_t(B9600))
        #expect(BaudRate.speed(for: 250_000) == nil)
        #expect(BaudRate.problem(with: 250_000) == nil)
        #expect(BaudRate.problem(with: 0)?.contains("300, 600") == true)
        #expect(BaudRate.problem(with: 30_000_000) != nil)
        #expect(throws: SerialConfigurationError.self) { try SerialPort(path: "/dev/null", baud: 0) }
        #expect(BaudRate.isClose(74_880, to: 74_880) && BaudRate.isClose(248_000, to: 250_000))
        #expect(!BaudRate.isClose(230_400, to: 250_000))
        let refusal = BaudRate.refusal(path: "/dev/ttyUSB0", rate: 250_000, actual: 230_400, reason: nil)
        #expect(refusal.contains("cannot set 250000 baud") && refusal.contains("230400") && refusal.contains("9600"))
    }

    /// Every rate the Arduino IDE offers that the termios table lacks, and a rate of no table
    /// at all, open on a pty and read back from the driver.
    @Test func customRatesOpenThroughTermios2() throws {
        for rate in [250_000, 74_880, 14_400, 28_800, 31_250, 12_345] {
            let pty = try PseudoTerminal()
            let port = try SerialPort(path: pty.slavePath, baud: rate)
            #expect(port.currentRate == rate, "\(rate)")
            var settings = termios()
            tcgetattr(port.fileDescriptor, &settings)
            #expect(settings.c_lflag & tcflag_t(ICANON | ECHO) == 0, "still raw at \(rate)")
            pty.write("7\r\n")
            var buffer = [UInt8](repeating: 0, count: 16)
            var received: [UInt8] = []
            for _ in 0..<20 where received.count < 3 {
                received += buffer[0..<(try port.read(into: &buffer, timeoutMilliseconds: 100))]
            }
            #expect(received == Array("7\r\n".utf8))
        }
        let pty = try PseudoTerminal()
        #expect(try SerialPort(path: pty.slavePath, baud: 115_200).currentRate == 115_200, "the table's rates read back too")
    }

    @Test func errorsSayWhatToDo() {
        #expect(SerialError(path: "/dev/ttyACM0", operation: "open", errno: EACCES).description.contains("dialout"))
        #expect(SerialError(path: "/dev/ttyACM0", operation: "open", errno: EBUSY).description.contains("another program"))
        #expect(SerialError(path: "/dev/ttyACM0", operation: "open", errno: ENOENT).description.contains("sensorbridge list"))
        #expect(SerialError(path: "/dev/ttyACM0", operation: "read", errno: EIO).description.contains("unplugged"))
    }

    @Test func aPtyIsSetRawAndReadExclusively() throws {
        let pty = try PseudoTerminal()
        let port = try SerialPort(path: pty.slavePath, baud: 115200)
        var settings = termios()
        tcgetattr(port.fileDescriptor, &settings)
        #expect(settings.c_lflag & tcflag_t(ICANON | ECHO) == 0, "no line editing, no echo")
        #expect(settings.c_cflag & tcflag_t(CSIZE) == tcflag_t(CS8), "8 data bits")
        #expect(settings.c_cflag & tcflag_t(PARENB | CSTOPB) == 0, "no parity, one stop bit")
        #expect(settings.c_iflag & tcflag_t(ICRNL) == 0, "CR is not turned into LF")
        #expect(cfgetispeed(&settings) == speed_t(B115200))
        // A second open of the same device is refused as busy.
        #expect(throws: SerialError(path: pty.slavePath, operation: "lock", errno: EBUSY)) {
            try SerialPort(path: pty.slavePath, baud: 115200)
        }
        pty.write("1,2\r\n")
        var buffer = [UInt8](repeating: 0, count: 64)
        var received: [UInt8] = []
        for _ in 0..<20 where received.count < 5 {
            let count = try port.read(into: &buffer, timeoutMilliseconds: 100)
            received += buffer[0..<count]
        }
        #expect(received == Array("1,2\r\n".utf8), "bytes arrive untranslated")
        pty.closeMaster()
        #expect(throws: SerialError.self) {
            for _ in 0..<20 { _ = try port.read(into: &buffer, timeoutMilliseconds: 100) }
        }
    }

    @Test func theReaderReportsVanishingAndKeepsTrying() throws {
        let pty = try PseudoTerminal()
        let stream = SensorStream(source: SourceStatus(kind: .serial, name: pty.slavePath, baud: 9600))
        let pipeline = IngestPipeline(stream: stream, logger: Logger(label: "test"))
        let reader = SerialReader(path: pty.slavePath, baud: 9600, logger: Logger(label: "test"))
        try reader.start(into: pipeline)
        // Two lines: the first of a new shape waits for the second to confirm it.
        pty.write("512,498,620\r\n513,499,621\r\n")
        let deadline = Date().addingTimeInterval(5)
        while stream.statistics.snapshot.samples < 2 && Date() < deadline { usleep(10_000) }
        pty.closeMaster()
        while stream.sourceStatus.state != .disconnected && Date() < deadline { usleep(10_000) }
        // The reader sleeps in poll(); a stop wakes it at once.
        let stopping = Date()
        reader.stop()
        #expect(Date().timeIntervalSince(stopping) < 0.2, "not after its 250 ms look interval")
        #expect(stream.statistics.snapshot.bytes == 26)
        // The sample and the state changes, in the order they happened.
        let events = stream.read(from: 0).elements.map { event -> String in
            switch event.kind {
            case .sample(let sample): "sample \(sample.values)"
            case .source(let state, _): state.rawValue
            case .lost(let lines): "lost \(lines)"
            }
        }
        #expect(events == ["connected", "sample [512.0, 498.0, 620.0]", "sample [513.0, 499.0, 621.0]", "disconnected", "stopped"])
    }
}
