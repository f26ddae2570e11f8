import ArgumentParser
#if canImport(Glibc)
import Glibc
#endif

/// What `--host` means to a user: checked before anything starts, shown as addresses
/// another machine can open, and the names the bridge answers to.
enum ListenAddress {
    static func validate(_ host: String) throws {
        let bare = host.hasPrefix("[") && host.hasSuffix("]") ? String(host.dropFirst().dropLast()) : host
        if MachineAddresses.isNumericAddress(bare) { return }
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var result: UnsafeMutablePointer<addrinfo>?
        if !bare.isEmpty, getaddrinfo(bare, nil, &hints, &result) == 0 {
            freeaddrinfo(result)
            return
        }
        throw ValidationError(
            "--host \(host) is neither an IP address nor a name this machine can look up; use 127.0.0.1 (this machine only), "
                + "0.0.0.0 (every network), or one of this machine's addresses: \(ownAddresses().joined(separator: ", "))")
    }

    static func ownAddresses() -> [String] {
        var seen: [String] = []
        for interface in MachineAddresses.interfaces() where !seen.contains(interface.address) {
            seen.append(interface.address)
        }
        return seen
    }

    /// The one-sentence reason a bind failed, with what to do about it.
    static func bindFailure(errno code: Int32, host: String, port: Int) -> String {
        switch code {
        case EADDRINUSE:
            return "cannot listen on \(host):\(port): the port is already in use (another sensorbridge?); pick another with --port"
        case EADDRNOTAVAIL:
            return "cannot listen on \(host):\(port): \(host) is not an address of this machine; its addresses are "
                + ownAddresses().joined(separator: ", ") + " (or 0.0.0.0 for all of them)"
        case EACCES:
            return "cannot listen on \(host):\(port): ports below 1024 need root; use --port 8080 or another above 1023"
        default:
            return "cannot listen on \(host):\(port): \(String(cString: strerror(code))); check --host and --port"
        }
    }

    /// Base URLs to print: for a wildcard address, every address other machines can use (and
    /// localhost), since `http://0.0.0.0:PORT/` opens nowhere else.
    static func baseURLs(host: String, port: Int) -> [String] {
        guard MachineAddresses.isWildcard(host) else { return ["http://\(bracketed(host)):\(port)"] }
        let wantsIPv6 = host != "0.0.0.0"
        let remote = MachineAddresses.interfaces().filter { interface in
            !interface.isLoopback && !interface.isLinkLocal && (wantsIPv6 || !interface.address.contains(":"))
        }
        return ["http://localhost:\(port)"] + remote.map { "http://\(bracketed($0.address)):\(port)" }
    }

    /// Names and addresses the Host check accepts besides loopback ones.
    static func answeredNames(host: String, extra: [String]) -> [String] {
        var names = MachineAddresses.names() + ownAddresses() + extra
        if !MachineAddresses.isWildcard(host) { names.append(host) }
        return names
    }

    private static func bracketed(_ host: String) -> String {
        host.contains(":") && !host.hasPrefix("[") ? "[\(host)]" : host
    }
}
