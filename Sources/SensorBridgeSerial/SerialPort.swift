#if canImport(Glibc)
import Glibc
#endif
import CSerialSpeed
import SensorBridgeCore
import Synchronization

/// An open serial device, set up the way an Arduino's USB serial needs it: raw bytes
/// (no echo, no line editing, no CR/LF translation), 8 data bits, no parity, one stop bit,
/// no flow control, taken exclusively so a second program cannot steal lines from it.
public final class SerialPort: Sendable {
    public let path: String
    public let baud: Int
    /// -1 once closed; atomic so that closing is safe from whichever thread does it.
    private let descriptor: Atomic<Int32>
    public var fileDescriptor: Int32 { descriptor.load(ordering: .acquiring) }
    /// The device node opened (`path` with symlinks resolved), as udev events name it.
    public let deviceNode: String

    /// Opens and configures `path`. Throws `SerialError` with advice for the common failures.
    public init(path: String, baud: Int) throws {
        if let problem = BaudRate.problem(with: baud) { throw SerialConfigurationError(message: problem) }
        self.path = path
        self.baud = baud
        self.deviceNode = Self.deviceNode(path) ?? path
        let fd = open(path, O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC)
        guard fd >= 0 else { throw SerialError(path: path, operation: "open", errno: errno) }
        do {
            // flock keeps out cooperating programs (and other sensorbridges) even when run as root,
            // which TIOCEXCL does not.
            if flock(fd, LOCK_EX | LOCK_NB) != 0 {
                throw SerialError(path: path, operation: "lock", errno: errno == EWOULDBLOCK ? EBUSY : errno)
            }
            try Self.check(ioctl(fd, UInt(TIOCEXCL)), path: path, operation: "TIOCEXCL")
            if let speed = BaudRate.speed(for: baud) {
                try Self.configure(fd, speed: speed, path: path)
            } else {
                try Self.configure(fd, speed: speed_t(B38400), path: path)
                try Self.setCustomSpeed(fd, rate: baud, path: path)
            }
            // Old bytes in the kernel buffer are from before we were listening.
            tcflush(fd, TCIFLUSH)
        } catch {
            Glibc.close(fd)
            throw error
        }
        self.descriptor = Atomic(fd)
    }

    deinit { close() }

    /// The device node `path` resolves to now, or nil when there is none (yet).
    public static func deviceNode(_ path: String) -> String? {
        guard let resolved = realpath(path, nil) else { return nil }
        defer { free(resolved) }
        return String(cString: resolved)
    }

    public func close() {
        let fd = descriptor.exchange(-1, ordering: .acquiringAndReleasing)
        if fd >= 0 {
            _ = ioctl(fd, UInt(TIOCNXCL))
            Glibc.close(fd)
        }
    }

    /// Waits up to `timeoutMilliseconds` for input and reads what is there.
    /// Returns an empty array on time-out; throws when the device failed or vanished.
    public func read(into buffer: inout [UInt8], timeoutMilliseconds: Int32) throws -> Int {
        var poller = pollfd(fd: fileDescriptor, events: Int16(POLLIN), revents: 0)
        let ready = poll(&poller, 1, timeoutMilliseconds)
        if ready < 0 {
            if errno == EINTR { return 0 }
            throw SerialError(path: path, operation: "poll", errno: errno)
        }
        if ready == 0 { return 0 }
        return try readAvailable(into: &buffer)
    }

    /// Reads what is there without waiting (the caller has polled): 0 when nothing is;
    /// throws when the device failed or vanished (a hang-up reads as end of file).
    public func readAvailable(into buffer: inout [UInt8]) throws -> Int {
        let fileDescriptor = fileDescriptor
        let count = buffer.withUnsafeMutableBytes { Glibc.read(fileDescriptor, $0.baseAddress, $0.count) }
        if count > 0 { return count }
        if count == 0 {
            // A hang-up: the other end closed (USB gone, pty master closed).
            throw SerialError(path: path, operation: "read", errno: EIO)
        }
        if errno == EAGAIN || errno == EINTR { return 0 }
        throw SerialError(path: path, operation: "read", errno: errno)
    }

    /// Writes all of `bytes`, waiting up to `timeoutMilliseconds` in all for room: a board
    /// that does not read its input (or flow control that holds) must not hold the writer.
    public func write(_ bytes: [UInt8], timeoutMilliseconds: Int32 = 200) throws {
        var written = 0
        let deadline = WallClock.monotonicMicros() + Int64(timeoutMilliseconds) * 1000
        while written < bytes.count {
            let fileDescriptor = fileDescriptor
            let count = bytes[written...].withUnsafeBytes { Glibc.write(fileDescriptor, $0.baseAddress, $0.count) }
            if count > 0 {
                written += count
                continue
            }
            guard count < 0, errno == EAGAIN || errno == EINTR else {
                throw SerialError(path: path, operation: "write", errno: count < 0 ? errno : EIO)
            }
            let remaining = Int32(clamping: max(0, deadline - WallClock.monotonicMicros() + 999) / 1000)
            var poller = pollfd(fd: fileDescriptor, events: Int16(POLLOUT), revents: 0)
            if remaining <= 0 || poll(&poller, 1, remaining) == 0 {
                throw SerialError(path: path, operation: "write", errno: ETIMEDOUT)
            }
        }
    }

    private static func configure(_ fd: Int32, speed: speed_t, path: String) throws {
        var settings = termios()
        try check(tcgetattr(fd, &settings), path: path, operation: "tcgetattr")
        cfmakeraw(&settings)
        settings.c_cflag &= ~(tcflag_t(CSIZE | PARENB | CSTOPB) | tcflag_t(CRTSCTS))
        settings.c_cflag |= tcflag_t(CS8 | CREAD | CLOCAL)
        settings.c_iflag &= ~tcflag_t(IXON | IXOFF | IXANY)
        // Non-blocking reads return what is there; poll() does the waiting.
        withUnsafeMutableBytes(of: &settings.c_cc) { cc in
            cc[Int(VMIN)] = 0
            cc[Int(VTIME)] = 0
        }
        try check(cfsetispeed(&settings, speed), path: path, operation: "cfsetispeed")
        try check(cfsetospeed(&settings, speed), path: path, operation: "cfsetospeed")
        try check(tcsetattr(fd, TCSANOW, &settings), path: path, operation: "tcsetattr")
    }

    /// A rate outside the termios table, through termios2; the driver may refuse it or round
    /// it, and a rate more than 2 % off would garble every byte.
    private static func setCustomSpeed(_ fd: Int32, rate: Int, path: String) throws {
        if sensorbridge_set_custom_speed(fd, UInt32(rate)) != 0 {
            throw SerialConfigurationError(message: BaudRate.refusal(
                path: path, rate: rate, actual: nil, reason: String(cString: strerror(errno))))
        }
        let actual = Int(sensorbridge_current_speed(fd))
        guard BaudRate.isClose(actual, to: rate) else {
            throw SerialConfigurationError(message: BaudRate.refusal(path: path, rate: rate, actual: actual, reason: nil))
        }
    }

    /// The rate the driver runs at now (for a custom rate, what it settled on).
    public var currentRate: Int { Int(sensorbridge_current_speed(fileDescriptor)) }

    private static func check(_ result: Int32, path: String, operation: String) throws {
        if result != 0 { throw SerialError(path: path, operation: operation, errno: errno) }
    }
}

/// A setting that cannot work, found before touching the device.
public struct SerialConfigurationError: UserFacingError {
    public let message: String
    public var description: String { message }
}
