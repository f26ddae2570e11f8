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
        self.slavePath = String(cString: ttyname(slave))
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

    /// Hangs up: the slave side sees EIO, as when a USB board is pulled out.
    public func closeMaster() {
        if masterOpen {
            close(master)
            masterOpen = false
        }
    }
}
