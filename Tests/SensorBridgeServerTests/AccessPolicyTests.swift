import Testing
@testable import SensorBridgeServer

/// The access rules as pure decisions; `AccessTests` checks them on real sockets.
@Suite struct AccessPolicyTests {
    private let policy = AccessPolicy(allowedOrigins: ["https://Dash.example:8443/"], allowedHosts: ["bench.lan", "192.168.1.5"])

    private func decide(_ policy: AccessPolicy, host: String?, origin: String? = nil, path: String = "/graph",
                        query: String = "", authorization: String? = nil, http11: Bool = true) -> AccessPolicy.Decision {
        policy.decide(.init(path: path, query: query, hostHeaders: host.map { [$0] } ?? [], isHTTP11OrLater: http11,
                            origin: origin, authorization: authorization))
    }

    @Test func loopbackOwnAndListedHostsAreAnsweredOthersAreNot() {
        for host in ["127.0.0.1:8080", "localhost:8080", "LOCALHOST", "[::1]:8080", "127.1.2.3", "app.localhost:80",
                     "bench.lan:8080", "bench.lan.", "192.168.1.5:8080"] {
            #expect(decide(policy, host: host) == .allow, "\(host)")
        }
        for host in ["evil.example", "evil.example:8080", "127.0.0.1.evil.example", "localhost.evil.example", "[::2]:80", "192.168.1.6"] {
            guard case .refuse(let status, let reason) = decide(policy, host: host) else {
                Issue.record("\(host) was answered")
                continue
            }
            #expect(status == 421)
            #expect(reason.contains("--allow-host"))
        }
        #expect(decide(AccessPolicy(allowedHosts: ["*"]), host: "anything.example") == .allow)
    }

    @Test func aMissingHostIsRefusedOnlyForHTTP11() {
        #expect(decide(policy, host: nil) == .refuse(status: 400, reason: "an HTTP/1.1 request must have a Host header"))
        #expect(decide(policy, host: nil, http11: false) == .allow)
        #expect(policy.decide(.init(path: "/", hostHeaders: ["localhost", "evil.example"])) != .allow)
    }

    @Test func theOwnPageAndListedOriginsMayConnectOthersMayNot() {
        #expect(decide(policy, host: "127.0.0.1:8080", origin: "http://127.0.0.1:8080") == .allow)
        #expect(decide(policy, host: "bench.lan", origin: "http://bench.lan") == .allow)
        #expect(decide(policy, host: "bench.lan:80", origin: "http://bench.lan") == .allow)
        #expect(decide(policy, host: "bench.lan", origin: "https://bench.lan") == .allow)  // behind a TLS proxy on 443
        #expect(decide(policy, host: "localhost:8080", origin: "https://dash.example:8443") == .allow)
        #expect(decide(policy, host: "localhost:8080") == .allow)  // no Origin: not a browser
        for origin in ["http://evil.example", "http://127.0.0.1:9999", "http://localhost:8080", "null", "file://",
                       "https://dash.example", "http://dash.example:8443", "chrome-extension://abc"] {
            guard case .refuse(let status, let reason) = decide(policy, host: "127.0.0.1:8080", origin: origin) else {
                Issue.record("\(origin) was let in")
                continue
            }
            #expect(status == 403)
            #expect(reason.contains("pages from \(origin) may not read this stream"))
        }
        #expect(decide(AccessPolicy(allowedOrigins: ["*"]), host: "localhost", origin: "http://evil.example") == .allow)
        #expect(decide(AccessPolicy(allowedOrigins: ["null"]), host: "localhost", origin: "null") == .allow)
    }

    @Test func theTokenGuardsTheDataEndpointsOnly() {
        let guarded = AccessPolicy(token: "s3cret-42")
        for path in ["/graph", "/api/status", "/metrics", "/api/sources", "/api/sources/ttyACM0/release", "/api/lines"] {
            #expect(decide(guarded, host: "localhost", path: path) == .refuse(
                status: 401, reason: "this bridge needs its access token: add ?token=… to the address (it was printed when the bridge started)"))
            #expect(decide(guarded, host: "localhost", path: path, query: "token=wrong") == .refuse(status: 401, reason: "wrong access token"))
            #expect(decide(guarded, host: "localhost", path: path, query: "history=60&token=s3cret-42") == .allow)
            #expect(decide(guarded, host: "localhost", path: path, query: "token=s3cret%2D42") == .allow)
            #expect(decide(guarded, host: "localhost", path: path, authorization: "Bearer s3cret-42") == .allow)
            #expect(decide(guarded, host: "localhost", path: path, authorization: "Bearer s3cret-4") != .allow)
        }
        #expect(decide(guarded, host: "localhost", path: "/") == .allow)
        #expect(decide(guarded, host: "localhost", path: "/graph.js") == .allow)
    }

    /// The fuzzer's `origin-*`: authorities that are not host[:port] normalized to something
    /// that normalized to something else again.
    @Test(arguments: ["http://::1]", "http://a..", "http://o :\u{0}", "http://a:", "http://a:0", "http://a:99999", "http://a:8a",
                      "http://[::1", "http://[x]", "http://a b", "http://.a", "http://a:1:2", "http://é.example"])
    func whatIsNoHostAndPortIsNoOrigin(origin: String) {
        #expect(AccessPolicy.normalizedOrigin(origin) == nil)
    }

    @Test(arguments: ["http://localhost:8080", "HTTPS://Dash.Example.:443", "http://127.0.0.1", "https://[::1]:8443",
                      "http://my_host.local", "http://xn--bcher-kva.example:8000/"])
    func aNormalizedOriginNormalizesToItself(origin: String) throws {
        let normalized = try #require(AccessPolicy.normalizedOrigin(origin))
        #expect(AccessPolicy.normalizedOrigin(normalized) == normalized)
    }

    @Test func pieces() {
        #expect(AccessPolicy.hostName(ofAuthority: " Example.COM:8080 ") == "example.com")
        #expect(AccessPolicy.hostName(ofAuthority: "[fe80::1%eth0]:80") == "fe80::1")
        #expect(AccessPolicy.hostName(ofAuthority: "::1") == "::1")
        #expect(AccessPolicy.port(ofAuthority: "[::1]:8080") == 8080)
        #expect(AccessPolicy.port(ofAuthority: "example.com") == nil)
        #expect(AccessPolicy.normalizedOrigin("HTTP://Example.com:80/") == "http://example.com")
        #expect(AccessPolicy.normalizedOrigin("https://[::1]:8443") == "https://[::1]:8443")
        #expect(AccessPolicy.normalizedOrigin("ftp://example.com") == nil)
        #expect(AccessPolicy.normalizedOrigin("http://user@example.com") == nil)
        #expect(AccessPolicy.normalizedOrigin("http://example.com.") == "http://example.com")
        #expect(AccessPolicy.normalizedOrigin("http://[::ffff:127.0.0.1]:8080") == "http://[::ffff:127.0.0.1]:8080")
        #expect(AccessPolicy.constantTimeEqual("abc", "abc"))
        #expect(!AccessPolicy.constantTimeEqual("abc", "abd"))
        #expect(!AccessPolicy.constantTimeEqual("abc", "abcd"))
        #expect(!AccessPolicy.constantTimeEqual("", "a"))
    }

    @Test func aStallIsOverdueOnlyWhenItLastsPastTheTimeout() {
        var watch = StallWatch(timeoutMicros: 1_000_000)
        watch.observe(caughtUp: false, nowMicros: 0)
        watch.observe(caughtUp: false, nowMicros: 900_000)
        #expect(!watch.isOverdue(nowMicros: 1_000_000))
        #expect(watch.isOverdue(nowMicros: 1_000_001))
        watch.observe(caughtUp: true, nowMicros: 1_100_000)
        #expect(!watch.isOverdue(nowMicros: 5_000_000))
        watch.observe(caughtUp: false, nowMicros: 5_000_000)
        #expect(!watch.isOverdue(nowMicros: 5_500_000))
    }
}

struct SendPermissionTests {
    @Test func onlyTheBridgesOwnPageNamedOriginsAndToolsMaySend() {
        let open = AccessPolicy(allowedOrigins: ["*"])
        #expect(open.sendRefusal(origin: nil, host: "127.0.0.1:8080") == nil, "a tool without Origin")
        #expect(open.sendRefusal(origin: "http://127.0.0.1:8080", host: "127.0.0.1:8080") == nil, "the bridge's own page")
        #expect(open.sendRefusal(origin: "https://evil.example", host: "127.0.0.1:8080")?
            .contains("may read this stream but not send") == true, "* opens reading, never sending")
        let named = AccessPolicy(allowedOrigins: ["https://dash.example"])
        #expect(named.sendRefusal(origin: "https://dash.example", host: "127.0.0.1:8080") == nil)
    }

    @Test func sendMessagesAreParsedWithTheirEnding() {
        #expect(SendRequest.parse(Array(#"{"type":"send","line":"rate 100","ending":"crlf"}"#.utf8))
                == .success(SendRequest(line: "rate 100", ending: .crlf)))
        #expect(SendRequest.parse(Array(#"{"type":"send","line":"?"}"#.utf8)) == .success(SendRequest(line: "?", ending: .lf)))
        #expect(SendRequest.parse(Array(#"{"type":"send","line":"?","ending":"nl"}"#.utf8))
                == .failure(.invalid(#"unknown line ending "nl"; use none, lf, cr or crlf"#)))
        #expect(SendRequest.parse(Array(#"{"type":"send"}"#.utf8)) == .failure(.invalid(#"a send message needs a "line""#)))
        #expect(SendRequest.parse(Array(#"{"type":"ping"}"#.utf8)) == .failure(.unknownType("ping")))
        #expect(SendRequest.parse(Array("not json".utf8)) == .failure(.notAMessage))
    }
}
