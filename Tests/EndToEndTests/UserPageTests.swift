import Foundation
import Testing
import TestSupport
#if canImport(Glibc)
import Glibc
#endif

/// A folder of one's own served with `--web`: its pages run their own scripts, and what a
/// policy blocks reaches the bridge's log, with what to do about it.
@Suite(.serialized) struct UserPageTests {
    private func request(_ bridge: BridgeProcess, _ raw: String) throws -> (status: Int, headers: TestWebSocketClient.Response, body: String) {
        let client = try TestWebSocketClient(port: bridge.port)
        try client.send(Array(raw.utf8))
        let response = try client.readResponseHead()
        return (response.statusCode, response, try client.readBody(response))
    }

    private func post(_ bridge: BridgeProcess, _ body: String) throws -> Int {
        try request(bridge, "POST /api/csp-report HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/csp-report\r\n"
                    + "Content-Length: \(body.utf8.count)\r\nConnection: close\r\n\r\n" + body).status
    }

    @Test func aFolderGetsTheRelaxedPolicyTheBuiltInPageTheStrictOneAndBlocksAreLogged() throws {
        let folder = try TemporaryFolder("web")
        try "<html><script>document.title = 'mine'</script></html>".write(toFile: folder.file("index.html"), atomically: true, encoding: .utf8)
        let ptys = try (0..<3).map { _ in try PseudoTerminal() }
        let builtIn = try BridgeProcess([ptys[0].slavePath, "--no-store"])
        let own = try BridgeProcess([ptys[1].slavePath, "--no-store", "--web", folder.path])
        let strictFolder = try BridgeProcess([ptys[2].slavePath, "--no-store", "--web", folder.path, "--web-policy", "strict"])
        func policy(_ bridge: BridgeProcess) throws -> String {
            try request(bridge, "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n").headers.values("Content-Security-Policy").first ?? ""
        }
        #expect(try policy(builtIn).contains("script-src 'self';"))
        #expect(try policy(own).contains("'unsafe-inline'"))
        #expect(try policy(strictFolder).contains("script-src 'self';"))
        #expect(try !policy(strictFolder).contains("unsafe-inline"))

        let report = #"{"csp-report":{"document-uri":"http://127.0.0.1/index.html?token=s3cret","effective-directive":"script-src-elem","blocked-uri":"inline","line-number":1}}"#
        #expect(try post(strictFolder, report) == 204)
        let deadline = Date().addingTimeInterval(5)
        while !strictFolder.standardError.contains("blocked an inline script"), Date() < deadline { usleep(20_000) }
        #expect(strictFolder.standardError.contains(
            "the page's Content-Security-Policy blocked an inline script on http://127.0.0.1/index.html (line 1) (script-src-elem); start the bridge with --web-policy relaxed"),
            "\(strictFolder.standardError)")
        #expect(!strictFolder.standardError.contains("s3cret"))
        // Not a report, too big, or no POST: refused, and the bridge goes on.
        #expect(try post(strictFolder, "garbage") == 400)
        #expect(try post(strictFolder, String(repeating: "x", count: 20_000)) == 413)
        // Declared too big: refused at once, not after the body (or the request timeout).
        let started = Date()
        #expect(try request(strictFolder, "POST /api/csp-report HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 100000000\r\n\r\nxx").status == 413)
        #expect(Date().timeIntervalSince(started) < 5)
        // Under the relaxed policy the advice is not to relax it.
        #expect(try post(own, report) == 204)
        let relaxedDeadline = Date().addingTimeInterval(5)
        while !own.standardError.contains("even the relaxed policy"), Date() < relaxedDeadline { usleep(20_000) }
        #expect(own.standardError.contains("even the relaxed policy of a --web folder forbids this"), "\(own.standardError)")
        #expect(try request(strictFolder, "GET /api/csp-report HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n").status == 404)
        #expect(try strictFolder.get("/").status == 200)
        #expect(builtIn.stop() == 0 && own.stop() == 0 && strictFolder.stop() == 0)
    }
}
