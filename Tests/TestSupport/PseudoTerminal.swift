import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A real pseudo-terminal pair: the bridge opens the slave by its path as it would a
/// USB serial device, and the test plays the board by writing into the master.
public final class PseudoTerminal {
    public let master: Int32
    /// Kept open so the slave side does not hang up between the test's setup and the bridge's open.
    public let slave: Int32
    public let slavePath: String

    public init() throws {
        var master: Int32 = -1
        var slave: Int32 = -1
        guard openpty(&master, &slave, nil, nil, nil) == 0 else {
            throw NSError(domain: "openpty", code: Int(errno))
        }
        self.master = master
        self.slave = slave
        // ttyname_r: tests run in parallel, and ttyname's buffer is shared.
        var name = [CChar](repeating: 0, count: 128)
        guard ttyname_r(slave, &name, name.count) == 0 else { throw NSError(domain: "ttyname_r", code: Int(errno)) }
        self.slavePath = String(decoding: name.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        // The test's own end of the slave must not echo or translate what the board "sends".
        var settings = termios()
        tcgetattr(slave, &settings)
        cfmakeraw(&settings)
        tcsetattr(slave, TCSANOW, &settings)
    }

    deinit {
        closeMaster()
        close(slave)
    }

    private var masterOpen = true

    /// Writes bytes as the board would send them.
    public func write(_ bytes: [UInt8]) {
        var offset = 0
        while offset < bytes.count {
            let written = bytes[offset...].withUnsafeBytes { Glibc.write(master, $0.baseAddress, $0.count) }
            if written <= 0 {
                if errno == EINTR || errno == EAGAIN { usleep(1000); continue }
                return
            }
            offset += written
        }
    }

    public func write(_ text: String) { write(Array(text.utf8)) }

    /// What was written to the "board" so far (waits up to `milliseconds` for the first byte).
    public func readAvailable(milliseconds: Int32 = 200) -> String {
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        var poller = pollfd(fd: master, events: Int16(POLLIN), revents: 0)
        while poll(&poller, 1, bytes.isEmpty ? milliseconds : 0) > 0 {
            let count = buffer.withUnsafeMutableBytes { Glibc.read(master, $0.baseAddress, $0.count) }
            guard count > 0 else { break }
            bytes += buffer[0..<count]
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Hangs up: the slave side sees EIO, as when a USB board is pulled out.
    public func closeMaster() {
        if masterOpen {
            close(master)
            masterOpen = false
        }
    }
}
