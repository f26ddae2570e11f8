#if canImport(Glibc)
import Glibc
#endif

/// A descriptor that becomes readable when `raise()` is called (a pipe): a thread sleeping in
/// `poll()` on its device wakes at once to stop, instead of at its next time-out. Shared by
/// the sources that wait in `poll()` (serial, network).
public final class StopSignal: Sendable {
    public let fileDescriptor: Int32
    private let writeEnd: Int32

    public init() {
        var ends: [Int32] = [-1, -1]
        let made = pipe(&ends)
        precondition(made == 0, "pipe failed: \(String(cString: strerror(errno)))")
        for end in ends {
            _ = fcntl(end, F_SETFD, FD_CLOEXEC)
            _ = fcntl(end, F_SETFL, fcntl(end, F_GETFL) | O_NONBLOCK)
        }
        fileDescriptor = ends[0]
        writeEnd = ends[1]
    }

    deinit {
        close(fileDescriptor)
        close(writeEnd)
    }

    public func raise() {
        var byte: UInt8 = 1
        _ = write(writeEnd, &byte, 1)
    }

    /// Empties the pipe, for a signal raised more than once (a release; a stop never is).
    public func clear() {
        var bytes = [UInt8](repeating: 0, count: 64)
        while read(fileDescriptor, &bytes, bytes.count) > 0 {}
    }
}
