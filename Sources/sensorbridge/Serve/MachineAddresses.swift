#if canImport(Glibc)
import Glibc
#endif
import SensorBridgeServer

/// This machine's names and interface addresses: the names browsers may use to reach the
/// bridge (its Host check lets these in), and what to print for `--host 0.0.0.0`, where
/// `0.0.0.0` itself is no address another machine can open.
enum MachineAddresses {
    struct Interface: Equatable {
        let name: String
        let address: String
        var isLoopback: Bool { AccessPolicy.isLoopbackName(address) }
        var isLinkLocal: Bool { address.lowercased().hasPrefix("fe80:") }
    }

    static func interfaces() -> [Interface] {
        var first: UnsafeMutablePointer<ifaddrs>?
        guard getifaddrs(&first) == 0, let head = first else { return [] }
        defer { freeifaddrs(head) }
        var found: [Interface] = []
        var cursor: UnsafeMutablePointer<ifaddrs>? = head
        while let entry = cursor {
            defer { cursor = entry.pointee.ifa_next }
            guard let socketAddress = entry.pointee.ifa_addr else { continue }
            let family = Int32(socketAddress.pointee.sa_family)
            guard family == AF_INET || family == AF_INET6 else { continue }
            var text = [CChar](repeating: 0, count: Int(NI_MAXHOST))
            let length = socklen_t(family == AF_INET ? MemoryLayout<sockaddr_in>.size : MemoryLayout<sockaddr_in6>.size)
            guard getnameinfo(socketAddress, length, &text, socklen_t(text.count), nil, 0, NI_NUMERICHOST) == 0 else { continue }
            var address = text.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
            if let zone = address.firstIndex(of: "%") { address = String(address[..<zone]) }
            found.append(Interface(name: String(cString: entry.pointee.ifa_name), address: address))
        }
        return found
    }

    /// The host name, its first label, and its `.local` (mDNS) form.
    static func names() -> [String] {
        var buffer = [CChar](repeating: 0, count: 256)
        guard gethostname(&buffer, buffer.count) == 0 else { return [] }
        let full = buffer.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }.lowercased()
        guard !full.isEmpty else { return [] }
        let short = String(full.split(separator: ".").first ?? Substring(full))
        return Array(Set([full, short, short + ".local"])).sorted()
    }

    /// Whether `host` is a wildcard listen address (every interface).
    static func isWildcard(_ host: String) -> Bool { host == "0.0.0.0" || host == "::" || host == "[::]" }

    /// Whether `text` is an IPv4 or IPv6 address written as numbers.
    static func isNumericAddress(_ text: String) -> Bool {
        var v4 = in_addr(), v6 = in6_addr()
        return inet_pton(AF_INET, text, &v4) == 1 || inet_pton(AF_INET6, text, &v6) == 1
    }
}
