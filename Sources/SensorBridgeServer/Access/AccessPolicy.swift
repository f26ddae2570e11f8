import Foundation

/// Who may watch. Decided from the request head alone, before anything is served:
///
/// - **Host**: only names the bridge answers to (loopback names, its own addresses and host
///   names, `--allow-host`), so a page on another site cannot reach the bridge through DNS
///   rebinding (its requests carry that site's name as Host).
/// - **Origin** (`Origin`, or draft-8's `Sec-WebSocket-Origin`): a browser may open `/graph`
///   from the bridge's own page (same scheme-less authority as Host) or from an origin listed
///   with `--allow-origin`. Tools that send no Origin are not browsers and are let in: a web
///   page cannot make a browser omit it.
/// - **Token** (opt-in): required on the data endpoints, from `?token=` (browsers cannot set
///   headers on a WebSocket) or `Authorization: Bearer`, compared in constant time.
public struct AccessPolicy: Sendable, Equatable {
    /// Normalised `scheme://host[:port]` values, or `*` for any.
    public var allowedOrigins: Set<String>
    /// Lower-case names and addresses (no port), or `*` for any.
    public var allowedHosts: Set<String>
    public var token: String?
    /// Paths that need the token when one is set (and every path under `/api/sources`).
    public static let protectedPaths: Set<String> = ["/graph", "/api/status", "/api/lines", "/metrics", "/api/sessions", "/api/history", "/api/export"]

    public init(allowedOrigins: [String] = [], allowedHosts: [String] = [], token: String? = nil) {
        self.allowedOrigins = Set(allowedOrigins.map { $0 == "*" ? "*" : (Self.normalizedOrigin($0) ?? $0.lowercased()) })
        self.allowedHosts = Set(allowedHosts.map { $0 == "*" ? "*" : Self.hostName(ofAuthority: $0) })
        self.token = token
    }

    /// Anything goes: for tests and for a bridge behind a proxy that checks for it.
    public static let open = AccessPolicy(allowedOrigins: ["*"], allowedHosts: ["*"])

    /// The parts of a request the policy looks at.
    public struct Request: Sendable {
        public var path: String
        /// The query string, without `?`.
        public var query: String
        public var hostHeaders: [String]
        /// HTTP/1.0 may omit Host; HTTP/1.1 must send it (RFC 9112 §3.2).
        public var isHTTP11OrLater: Bool
        public var origin: String?
        public var authorization: String?

        public init(path: String, query: String = "", hostHeaders: [String], isHTTP11OrLater: Bool = true,
                    origin: String? = nil, authorization: String? = nil) {
            self.path = path
            self.query = query
            self.hostHeaders = hostHeaders
            self.isHTTP11OrLater = isHTTP11OrLater
            self.origin = origin
            self.authorization = authorization
        }
    }

    public enum Decision: Equatable, Sendable {
        case allow
        /// An HTTP status code and the one-line reason sent as the body.
        case refuse(status: Int, reason: String)
    }

    public func decide(_ request: Request) -> Decision {
        guard request.hostHeaders.count <= 1 else {
            return .refuse(status: 400, reason: "more than one Host header")
        }
        let host = request.hostHeaders.first?.trimmed ?? ""
        if host.isEmpty {
            if request.isHTTP11OrLater { return .refuse(status: 400, reason: "an HTTP/1.1 request must have a Host header") }
        } else if !allowsHost(host) {
            return .refuse(status: 421, reason: "this bridge does not answer to the name '\(Self.hostName(ofAuthority: host))'; start it with --allow-host \(Self.hostName(ofAuthority: host)) to allow it")
        }
        if let origin = request.origin, !allowsOrigin(origin, host: host) {
            return .refuse(status: 403, reason: "pages from \(origin) may not read this stream; start the bridge with --allow-origin \(origin) to allow them")
        }
        if let token, Self.protectedPaths.contains(request.path) || request.path.hasPrefix("/api/sources") {
            guard let offered = Self.offeredToken(query: request.query, authorization: request.authorization) else {
                return .refuse(status: 401, reason: "this bridge needs its access token: add ?token=… to the address (it was printed when the bridge started)")
            }
            guard Self.constantTimeEqual(offered, token) else {
                return .refuse(status: 401, reason: "wrong access token")
            }
        }
        return .allow
    }

    func allowsHost(_ authority: String) -> Bool {
        if allowedHosts.contains("*") { return true }
        let name = Self.hostName(ofAuthority: authority)
        return Self.isLoopbackName(name) || allowedHosts.contains(name)
    }

    /// The bridge's own page (same authority as Host, http or https) or a listed origin.
    /// Why a client admitted to read may not send lines to the board, or nil when it may.
    /// Reading may be opened to every site (`--allow-origin *`); sending never is: only the
    /// bridge's own page, an origin listed by name, or a tool that sends no Origin.
    public func sendRefusal(origin: String?, host: String) -> String? {
        guard let origin else { return nil }
        var named = self
        named.allowedOrigins.remove("*")
        if named.allowsOrigin(origin, host: host) { return nil }
        return "pages from \(origin) may read this stream but not send to the board; start the bridge with --allow-origin \(origin) to let them"
    }

    func allowsOrigin(_ origin: String, host: String) -> Bool {
        if allowedOrigins.contains("*") { return true }
        guard let normalized = Self.normalizedOrigin(origin) else {
            return allowedOrigins.contains(origin.lowercased())  // "null", if listed
        }
        if allowedOrigins.contains(normalized) { return true }
        guard !host.isEmpty, let parts = Self.originParts(normalized) else { return false }
        let hostName = Self.hostName(ofAuthority: host)
        let hostPort = Self.port(ofAuthority: host) ?? parts.defaultPort
        return parts.host == hostName && parts.port == hostPort
    }

    // MARK: - Pieces (pure, and tested one by one)

    /// `Example.COM:8080` → `example.com`; `[::1]:80` → `::1`; a trailing dot and an IPv6 zone are dropped.
    static func hostName(ofAuthority authority: String) -> String {
        var text = authority.trimmed.lowercased()
        if text.hasPrefix("[") {
            if let close = text.firstIndex(of: "]") { text = String(text[text.index(after: text.startIndex)..<close]) }
        } else if text.filter({ $0 == ":" }).count == 1, let colon = text.lastIndex(of: ":") {
            text = String(text[..<colon])
        }
        if let zone = text.firstIndex(of: "%") { text = String(text[..<zone]) }
        if text.hasSuffix(".") { text.removeLast() }
        return text
    }

    static func port(ofAuthority authority: String) -> Int? {
        let text = authority.trimmed
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]") else { return nil }
            let rest = text[text.index(after: close)...]
            return rest.hasPrefix(":") ? Int(rest.dropFirst()) : nil
        }
        guard text.filter({ $0 == ":" }).count == 1, let colon = text.lastIndex(of: ":") else { return nil }
        return Int(text[text.index(after: colon)...])
    }

    /// A name or address of this machine's loopback: `localhost`, `*.localhost` (RFC 6761),
    /// `127.x.x.x`, `::1`, and IPv4-mapped `::ffff:127.x.x.x`. The one test of it in the project.
    public static func isLoopbackName(_ name: String) -> Bool {
        let name = name.lowercased()
        if name == "localhost" || name.hasSuffix(".localhost") || name == "::1" { return true }
        let v4 = name.hasPrefix("::ffff:") ? String(name.dropFirst(7)) : name
        let octets = v4.split(separator: ".", omittingEmptySubsequences: false)
        return octets.count == 4 && octets[0] == "127" && octets.allSatisfy { UInt8($0) != nil }
    }

    /// `HTTP://Example.com:80/` → `http://example.com`; nil for what is not an http(s) origin.
    public static func normalizedOrigin(_ origin: String) -> String? {
        var text = origin.trimmed.lowercased()
        while text.hasSuffix("/") { text.removeLast() }
        guard let parts = originParts(text) else { return nil }
        let host = parts.host.contains(":") ? "[\(parts.host)]" : parts.host
        return parts.port == parts.defaultPort ? "\(parts.scheme)://\(host)" : "\(parts.scheme)://\(host):\(parts.port)"
    }

    static func originParts(_ origin: String) -> (scheme: String, host: String, port: Int, defaultPort: Int)? {
        guard let separator = origin.range(of: "://") else { return nil }
        let scheme = String(origin[..<separator.lowerBound])
        let defaultPort: Int
        switch scheme {
        case "http": defaultPort = 80
        case "https": defaultPort = 443
        default: return nil
        }
        let authority = String(origin[separator.upperBound...])
        guard isPlainAuthority(authority) else { return nil }
        let host = hostName(ofAuthority: authority)
        guard !host.isEmpty else { return nil }
        let explicitPort = port(ofAuthority: authority)
        if explicitPort == nil, authority.hasSuffix(":") || authority.hasSuffix("]:") { return nil }
        return (scheme, host, explicitPort ?? defaultPort, defaultPort)
    }

    /// What a browser puts after `scheme://` in an Origin: a host name (labels of letters,
    /// digits, `-` or `_`, a trailing dot allowed), an IPv4 address or a bracketed IPv6 one,
    /// and maybe `:port` (digits, 1–65535). Anything else is no origin, so what is normalized
    /// normalizes to itself.
    static func isPlainAuthority(_ authority: String) -> Bool {
        var host = Substring(authority)
        var port: Substring?
        if host.hasPrefix("[") {
            guard let close = host.firstIndex(of: "]") else { return false }
            let inside = host[host.index(after: host.startIndex)..<close]
            let rest = host[host.index(after: close)...]
            guard inside.contains(":"), inside.allSatisfy({ $0.isHexDigit || $0 == ":" || $0 == "." }) else { return false }
            guard rest.isEmpty || rest.hasPrefix(":") else { return false }
            port = rest.isEmpty ? nil : rest.dropFirst()
        } else {
            let parts = host.split(separator: ":", omittingEmptySubsequences: false)
            guard parts.count <= 2 else { return false }
            host = parts[0]
            port = parts.count == 2 ? parts[1] : nil
            let labels = (host.hasSuffix(".") ? host.dropLast() : host).split(separator: ".", omittingEmptySubsequences: false)
            guard labels.allSatisfy({ label in
                !label.isEmpty && label.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") }
            }) else { return false }
        }
        guard let port else { return true }
        return !port.isEmpty && port.count <= 5 && port.allSatisfy { $0.isASCII && $0.isNumber }
            && (1...65_535).contains(Int(port) ?? 0)
    }

    /// `token=` in the query (percent-decoded), else `Authorization: Bearer …`.
    static func offeredToken(query: String, authorization: String?) -> String? {
        for pair in query.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            if parts.count == 2, parts[0] == "token" {
                let raw = String(parts[1]).replacingOccurrences(of: "+", with: " ")
                return raw.removingPercentEncoding ?? raw
            }
        }
        if let authorization {
            let parts = authorization.trimmed.split(separator: " ", maxSplits: 1)
            if parts.count == 2, parts[0].lowercased() == "bearer" { return String(parts[1]).trimmed }
        }
        return nil
    }

    /// Takes as long for a near miss as for a far one, so the token cannot be guessed byte by byte.
    static func constantTimeEqual(_ a: String, _ b: String) -> Bool {
        let left = Array(a.utf8), right = Array(b.utf8)
        var difference = UInt(left.count ^ right.count)
        for index in 0..<max(left.count, right.count) {
            let x = index < left.count ? left[index] : 0
            let y = index < right.count ? right[index] : 0
            difference |= UInt(x ^ y)
        }
        return difference == 0
    }
}
