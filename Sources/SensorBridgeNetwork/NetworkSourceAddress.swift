#if canImport(Glibc)
import Glibc
#endif
import SensorBridgeStream

/// Where a board on the network is, as the user writes it: `tcp://HOST:PORT` (a board,
/// ser2net or ESP-Link serving lines; the bridge connects) or `udp://[ADDRESS]:PORT` (boards
/// send datagrams; the bridge listens, on every address when ADDRESS is empty, as in
/// `udp://:4210`). IPv6 literals go in brackets: `tcp://[fe80::1]:23`. Parsed by hand, not by
/// `URLComponents`, which refuses an empty host and says nothing of what is wrong; every
/// refusal is a sentence naming the mistake.
public struct NetworkSourceAddress: Sendable, Equatable, CustomStringConvertible {
    public enum Transport: String, Sendable, CaseIterable {
        case tcp, udp
    }

    public var transport: Transport
    /// A host name or an address literal, without brackets; empty (udp only) for every address.
    public var host: String
    /// 1…65535 when parsed; 0 (a port the system picks) only when made in code, for tests.
    public var port: Int

    /// For code (and tests, which listen on port 0): no parsing, no checks beyond the range.
    public init(transport: Transport, host: String, port: Int) {
        precondition((0...65535).contains(port), "port \(port) is not 0…65535")
        self.transport = transport
        self.host = host
        self.port = port
    }

    public init(parsing text: String) throws(NetworkSourceAddressError) {
        let example = "e.g. tcp://192.168.1.20:23 or udp://:4210"
        guard let schemeEnd = text.range(of: "://") else {
            throw NetworkSourceAddressError("\(text) is not a network address; write tcp://HOST:PORT or udp://[ADDRESS]:PORT, \(example)")
        }
        let scheme = text[..<schemeEnd.lowerBound].lowercased()
        guard let transport = Transport(rawValue: scheme) else {
            throw NetworkSourceAddressError("\(text): the scheme must be tcp:// or udp://, not \(scheme)://")
        }
        var rest = text[schemeEnd.upperBound...]
        if rest.hasSuffix("/") { rest = rest.dropLast() }  // a bare trailing slash says nothing
        if let extra = rest.firstIndex(where: { $0 == "/" || $0 == "?" || $0 == "#" }) {
            let what = rest[extra] == "/" ? "a path" : rest[extra] == "?" ? "a ?query" : "a #fragment"
            throw NetworkSourceAddressError("\(text): a \(scheme) address takes no path, query or fragment (this one has \(what)); write \(scheme)://HOST:PORT")
        }
        if rest.contains("@") {
            throw NetworkSourceAddressError("\(text): a \(scheme) address takes no user name (nothing before an @); write \(scheme)://HOST:PORT")
        }
        let host: Substring
        let portText: Substring?
        if rest.hasPrefix("[") {
            guard let close = rest.firstIndex(of: "]") else {
                throw NetworkSourceAddressError("\(text): the [ of an IPv6 address is not closed by a ]")
            }
            host = rest[rest.index(after: rest.startIndex)..<close]
            let after = rest[rest.index(after: close)...]
            if after.isEmpty {
                portText = nil
            } else if after.hasPrefix(":") {
                portText = after.dropFirst()
            } else {
                throw NetworkSourceAddressError("\(text): after the ] of an IPv6 address comes :PORT, not \(after)")
            }
            if let problem = Self.ipv6LiteralProblem(host) { throw NetworkSourceAddressError("\(text): \(problem)") }
        } else if let colon = rest.lastIndex(of: ":") {
            host = rest[..<colon]
            portText = rest[rest.index(after: colon)...]
            if host.contains(":") {
                throw NetworkSourceAddressError("\(text): put an IPv6 address in brackets, e.g. \(scheme)://[::1]:\(portText ?? "4210")")
            }
        } else {
            host = rest
            portText = nil
        }
        guard let portText, !portText.isEmpty else {
            throw NetworkSourceAddressError("\(text) has no port; write \(scheme)://\(host.isEmpty && transport == .tcp ? "HOST" : String(host)):PORT, \(example)")
        }
        guard let port = Self.port(portText) else {
            throw NetworkSourceAddressError("\(text): the port \(portText) is not a number from 1 to 65535")
        }
        if host.isEmpty && transport == .tcp {
            throw NetworkSourceAddressError("\(text) names no host to connect to; e.g. tcp://192.168.1.20:\(port)")
        }
        if host.unicodeScalars.contains(where: { $0.properties.isWhitespace || $0.properties.generalCategory == .control }) {
            throw NetworkSourceAddressError("\(text): the host has a space or a control character")
        }
        self.transport = transport
        self.host = String(host)
        self.port = port
    }

    /// The port of decimal digits in 1…65535, or nil. Digits are added up only while the
    /// value is in range, so no number of digits can overflow.
    static func port(_ text: Substring) -> Int? {
        var value = 0
        for character in text.utf8 {
            guard (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(character) else { return nil }
            value = value * 10 + Int(character - UInt8(ascii: "0"))
            if value > 65535 { return nil }
        }
        return value >= 1 ? value : nil
    }

    /// Why a bracketed host is not an IPv6 address (a zone such as `%eth0` may follow), or nil.
    private static func ipv6LiteralProblem(_ host: Substring) -> String? {
        let address = host.split(separator: "%", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
        if host.hasSuffix("%") { return "the IPv6 address [\(host)] has an empty zone after %" }
        var bytes = in6_addr()
        guard inet_pton(AF_INET6, String(address), &bytes) == 1 else {
            return "[\(host)] is not an IPv6 address; brackets are only for those (write a name or an IPv4 address without them)"
        }
        return nil
    }

    /// The kind of source this address makes, for its status and name.
    public var sourceKind: SourceKind { transport == .tcp ? .tcp : .udp }

    /// Whether a UDP source listens on every address of the machine.
    public var listensEverywhere: Bool { host.isEmpty }

    /// The address as logs and `/api/status` show it, in the form it is written in.
    public var displayed: String {
        "\(transport.rawValue)://\(hostAndPort)"
    }

    /// `HOST:PORT`, with brackets around an IPv6 literal; `:PORT` for every address.
    public var hostAndPort: String {
        "\(host.contains(":") ? "[\(host)]" : host):\(port)"
    }

    public var description: String { displayed }

    /// The same address on another port (the one a listener on port 0 was given).
    func with(port: Int) -> NetworkSourceAddress {
        NetworkSourceAddress(transport: transport, host: host, port: port)
    }
}

public struct NetworkSourceAddressError: Error, CustomStringConvertible, Equatable {
    public let description: String
    public init(_ description: String) { self.description = description }
}
