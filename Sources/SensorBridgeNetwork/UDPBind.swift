import SensorBridgeStream
#if canImport(Glibc)
import Glibc
#endif

/// The socket a UDP source listens on. Every address (an empty host) is IPv6's `::` with
/// `IPV6_V6ONLY` off, which takes IPv4 senders too, or `0.0.0.0` where the machine has no
/// IPv6. A refusal is said with what the user can do about it.
enum UDPBind {
    /// Why the port cannot be listened on, with what the user can do about it.
    struct Refusal: Error, CustomStringConvertible {
        let description: String
    }

    static func bind(_ address: NetworkSourceAddress) -> Result<OwnedSocket, Refusal> {
        if address.listensEverywhere {
            var everyV6 = sockaddr_in6()
            everyV6.sin6_family = sa_family_t(AF_INET6)
            everyV6.sin6_port = UInt16(address.port).bigEndian
            everyV6.sin6_addr = in6addr_any
            switch bind(SocketAddress(everyV6), dualStack: true) {
            case .success(let socket): return .success(socket)
            case .failure(let failure) where failure.errno == EAFNOSUPPORT || failure.errno == EADDRNOTAVAIL:
                break  // no IPv6 here: IPv4 alone
            case .failure(let failure): return .failure(explain(failure))
            }
            var everyV4 = sockaddr_in()
            everyV4.sin_family = sa_family_t(AF_INET)
            everyV4.sin_port = UInt16(address.port).bigEndian
            everyV4.sin_addr = in_addr(s_addr: INADDR_ANY)
            return bind(SocketAddress(everyV4), dualStack: false).mapError(explain)
        }
        let candidates: [SocketAddress]
        switch SocketAddress.resolve(host: address.host, port: address.port, socketType: Int32(SOCK_DGRAM.rawValue), passive: true) {
        case .success(let found): candidates = found
        case .failure(let failure):
            return .failure(Refusal(description: "the address \(address.host) is not known (\(failure)); give one of this machine's addresses, or none for every address (udp://:\(address.port))"))
        }
        var firstFailure: SocketFailure?
        for candidate in candidates {
            switch bind(candidate, dualStack: false) {
            case .success(let socket): return .success(socket)
            case .failure(let failure): firstFailure = firstFailure ?? failure
            }
        }
        return .failure(explain(firstFailure ?? SocketFailure(errno: EADDRNOTAVAIL)))
    }

    private static func bind(_ address: SocketAddress, dualStack: Bool) -> Result<OwnedSocket, SocketFailure> {
        let socket: OwnedSocket
        switch OwnedSocket.make(family: address.family, type: Int32(SOCK_DGRAM.rawValue)) {
        case .success(let made): socket = made
        case .failure(let failure): return .failure(failure)
        }
        if dualStack { socket.set(level: Int32(IPPROTO_IPV6), option: IPV6_V6ONLY, to: 0) }
        let bound = address.withSockaddr { Glibc.bind(socket.fileDescriptor, $0, $1) }
        return bound == 0 ? .success(socket) : .failure(SocketFailure(errno: errno))
    }

    /// The system's words, and what they usually mean here.
    private static func explain(_ failure: SocketFailure) -> Refusal {
        let words = switch failure.errno {
        case EADDRINUSE: "\(failure) (another program, or another sensorbridge, listens on that port; choose another)"
        case EACCES: "\(failure) (ports below 1024 need root or CAP_NET_BIND_SERVICE; choose a port above 1023)"
        case EADDRNOTAVAIL: "\(failure) (the address is not one of this machine's; leave it out to listen on every address)"
        default: failure.description
        }
        return Refusal(description: words)
    }
}

extension SocketAddress {
    init(_ address: sockaddr_in6) {
        var storage = sockaddr_storage()
        withUnsafeMutableBytes(of: &storage) { target in
            withUnsafeBytes(of: address) { target.copyMemory(from: $0) }
        }
        self.init(storage: storage, length: socklen_t(MemoryLayout<sockaddr_in6>.size))
    }

    init(_ address: sockaddr_in) {
        var storage = sockaddr_storage()
        withUnsafeMutableBytes(of: &storage) { target in
            withUnsafeBytes(of: address) { target.copyMemory(from: $0) }
        }
        self.init(storage: storage, length: socklen_t(MemoryLayout<sockaddr_in>.size))
    }
}
