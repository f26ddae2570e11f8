#if canImport(Glibc)
import Glibc
#endif

/// A socket descriptor closed when the last holder lets go: the reader's thread drops its
/// reference when the connection ends while a `writeLine` on another thread may still hold
/// one, so the number is never closed (and reused by another file) under a write.
final class OwnedSocket: Sendable {
    let fileDescriptor: Int32

    /// A new non-blocking, close-on-exec socket, or the errno of the failure.
    static func make(family: Int32, type: Int32) -> Result<OwnedSocket, SocketFailure> {
        let fd = socket(family, type | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return .failure(SocketFailure(errno: errno)) }
        return .success(OwnedSocket(adopting: fd))
    }

    init(adopting fileDescriptor: Int32) { self.fileDescriptor = fileDescriptor }

    deinit { close(fileDescriptor) }

    /// Sets an integer option; false (and errno) when the kernel refuses it.
    @discardableResult
    func set(level: Int32, option: Int32, to value: Int32) -> Bool {
        var value = value
        return setsockopt(fileDescriptor, level, option, &value, socklen_t(MemoryLayout<Int32>.size)) == 0
    }

    /// The pending error of a non-blocking connect (0: connected).
    func pendingError() -> Int32 {
        var value: Int32 = 0
        var length = socklen_t(MemoryLayout<Int32>.size)
        guard getsockopt(fileDescriptor, SOL_SOCKET, SO_ERROR, &value, &length) == 0 else { return errno }
        return value
    }

    /// The local port the socket is bound to (the one the system chose for port 0).
    func localPort() -> Int? {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let got = withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fileDescriptor, $0, &length) }
        }
        guard got == 0 else { return nil }
        return SocketAddress(storage: storage, length: length).port
    }
}

/// A failed socket call, said as the system says it ("connection refused").
struct SocketFailure: Error, CustomStringConvertible {
    let errno: Int32
    var description: String { String(cString: strerror(errno)).lowercasedFirstLetter }
}

extension String {
    /// "Connection refused" → "connection refused", to sit inside a sentence.
    var lowercasedFirstLetter: String {
        guard let first else { return self }
        return first.lowercased() + dropFirst()
    }
}
