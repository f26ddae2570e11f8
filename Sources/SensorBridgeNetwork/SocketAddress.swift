#if canImport(Glibc)
import Glibc
#endif

/// One endpoint as the socket calls take it (`connect`, `bind`, what `recvfrom` fills in),
/// and its numeric text for people.
struct SocketAddress: @unchecked Sendable {
    var storage: sockaddr_storage
    var length: socklen_t

    init(storage: sockaddr_storage, length: socklen_t) {
        self.storage = storage
        self.length = length
    }

    var family: Int32 { Int32(storage.ss_family) }

    func withSockaddr<R>(_ body: (UnsafePointer<sockaddr>, socklen_t) -> R) -> R {
        withUnsafePointer(to: storage) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { body($0, length) } }
    }

    var port: Int? {
        switch family {
        case AF_INET: withUnsafePointer(to: storage) { $0.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { Int(UInt16(bigEndian: $0.pointee.sin_port)) } }
        case AF_INET6: withUnsafePointer(to: storage) { $0.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { Int(UInt16(bigEndian: $0.pointee.sin6_port)) } }
        default: nil
        }
    }

    /// `192.168.1.5:4210`, `[fe80::1%eth0]:23`. An IPv4 sender reaching a dual-stack socket
    /// (`::ffff:192.168.1.5`) is shown as the IPv4 address it is.
    var numericText: String {
        switch family {
        case AF_INET:
            return withUnsafePointer(to: storage) {
                $0.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { address in
                    var bytes = address.pointee.sin_addr
                    return "\(Self.text(family: AF_INET, &bytes)):\(UInt16(bigEndian: address.pointee.sin_port))"
                }
            }
        case AF_INET6:
            return withUnsafePointer(to: storage) {
                $0.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { address in
                    var bytes = address.pointee.sin6_addr
                    let port = UInt16(bigEndian: address.pointee.sin6_port)
                    let raw = withUnsafeBytes(of: bytes) { Array($0) }
                    if raw[0..<10].allSatisfy({ $0 == 0 }), raw[10] == 0xFF, raw[11] == 0xFF {
                        return "\(raw[12]).\(raw[13]).\(raw[14]).\(raw[15]):\(port)"
                    }
                    var host = Self.text(family: AF_INET6, &bytes)
                    if address.pointee.sin6_scope_id != 0 {
                        var name = [CChar](repeating: 0, count: Int(IF_NAMESIZE) + 1)
                        if if_indextoname(address.pointee.sin6_scope_id, &name) != nil {
                            host += "%" + String(decoding: name.prefix(while: { $0 != 0 }).map { UInt8(bitPattern: $0) }, as: UTF8.self)
                        }
                    }
                    return "[\(host)]:\(port)"
                }
            }
        default:
            return "(address family \(family))"
        }
    }

    private static func text<T>(family: Int32, _ bytes: inout T) -> String {
        var buffer = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
        guard inet_ntop(family, &bytes, &buffer, socklen_t(buffer.count)) != nil else { return "?" }
        return String(decoding: buffer.prefix(while: { $0 != 0 }).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// The addresses `host` names for `port`, in the order the resolver prefers. A numeric
    /// host needs no lookup; a name may take the resolver's time (it blocks).
    /// - Parameter passive: for `bind`: an empty host is every address.
    static func resolve(host: String, port: Int, socketType: Int32, passive: Bool) -> Result<[SocketAddress], ResolveFailure> {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = socketType
        hints.ai_flags = AI_NUMERICSERV | (passive ? AI_PASSIVE : 0)
        var list: UnsafeMutablePointer<addrinfo>?
        let code = host.isEmpty
            ? getaddrinfo(nil, String(port), &hints, &list)
            : getaddrinfo(host, String(port), &hints, &list)
        guard code == 0, let list else { return .failure(ResolveFailure(code: code, errno: errno)) }
        defer { freeaddrinfo(list) }
        var found: [SocketAddress] = []
        var entry: UnsafeMutablePointer<addrinfo>? = list
        while let current = entry {
            if let address = current.pointee.ai_addr, current.pointee.ai_addrlen <= socklen_t(MemoryLayout<sockaddr_storage>.size) {
                var storage = sockaddr_storage()
                withUnsafeMutableBytes(of: &storage) { target in
                    target.copyMemory(from: UnsafeRawBufferPointer(start: address, count: Int(current.pointee.ai_addrlen)))
                }
                found.append(SocketAddress(storage: storage, length: current.pointee.ai_addrlen))
            }
            entry = current.pointee.ai_next
        }
        return found.isEmpty ? .failure(ResolveFailure(code: EAI_NONAME, errno: 0)) : .success(found)
    }
}

/// Why a host name gave no address; whether waiting could change that.
struct ResolveFailure: Error, CustomStringConvertible {
    let code: Int32
    let errno: Int32

    /// The name does not exist (or has no address): no retry makes it one. Anything else (no
    /// network yet, the resolver not answering) may get better.
    var isPermanent: Bool { code == EAI_NONAME || code == EAI_FAIL }

    var description: String {
        if code == EAI_SYSTEM { return SocketFailure(errno: errno).description }
        return String(cString: gai_strerror(code)).lowercasedFirstLetter
    }
}
