import Foundation
import Testing
@testable import SensorBridgeServer

/// What a browser posts to `report-uri`, and what a hostile client might post instead.
struct PolicyViolationReportTests {
    private func report(_ json: String) -> PolicyViolationReport? { PolicyViolationReport.parse(Array(json.utf8)) }

    @Test func chromiumsReportOfAnInlineScriptBecomesASentenceWithoutTheToken() throws {
        let parsed = try #require(report(#"""
            {"csp-report":{"document-uri":"http://127.0.0.1:8080/graph_socket.html?token=s3cret","referrer":"",
            "violated-directive":"script-src-elem","effective-directive":"script-src-elem",
            "original-policy":"default-src 'none'; script-src 'self'","disposition":"enforce","blocked-uri":"inline",
            "line-number":12,"source-file":"http://127.0.0.1:8080/graph_socket.html","status-code":200,"script-sample":""}}
            """#))
        #expect(parsed == PolicyViolationReport(page: "http://127.0.0.1:8080/graph_socket.html", directive: "script-src-elem",
                                                blocked: "inline", line: 12))
        let sentence = parsed.sentence(servingFolder: true, policy: .strict)
        #expect(sentence == "the page's Content-Security-Policy blocked an inline script on http://127.0.0.1:8080/graph_socket.html (line 12) (script-src-elem); start the bridge with --web-policy relaxed to let a page of your own run its own scripts")
        #expect(!sentence.contains("s3cret"))
    }

    @Test func firefoxsReportOfARemoteScriptNamesItsAddress() throws {
        // Firefox gives the violated directive with its value, and no effective-directive.
        let parsed = try #require(report(#"""
            {"csp-report":{"blocked-uri":"http://d3js.org/d3.v3.min.js?v=1","document-uri":"http://localhost:8080/#token=x",
            "original-policy":"default-src 'none'","referrer":"","violated-directive":"script-src-elem 'self'"}}
            """#))
        #expect(parsed.directive == "script-src-elem")
        #expect(parsed.blocked == "http://d3js.org/d3.v3.min.js")
        #expect(parsed.page == "http://localhost:8080/")
        #expect(parsed.sentence(servingFolder: false, policy: .strict).hasSuffix("the built-in page should never be blocked: please report this"))
        #expect(parsed.sentence(servingFolder: true, policy: .relaxed).hasSuffix("even the relaxed policy of a --web folder forbids this (being framed by another site, or a form or plugin it does not allow)"))
        #expect(report(#"{"csp-report":{"blocked-uri":"inline","violated-directive":"style-src-attr"}}"#)?
            .sentence(servingFolder: true, policy: .strict).contains("blocked an inline style on the page (style-src-attr)") == true)
    }

    @Test func anythingElseIsNotAReportAndNothingFromOutsideReachesTheLogUncut() throws {
        for body in ["", "garbage", "[]", "{}", #"{"csp-report":5}"#, #"{"type":"csp-violation"}"#] {
            #expect(report(body) == nil, "\(body)")
        }
        #expect(PolicyViolationReport.parse(Array(repeating: 0x20, count: PolicyViolationReport.maxBodyBytes + 1)) == nil)
        let hostile = try #require(report(#"""
            {"csp-report":{"document-uri":"\u001b[31mred\n\r\u0000x\#(String(repeating: "y", count: 5_000))",
            "blocked-uri":7,"effective-directive":["no"],"line-number":1e300}}
            """#))
        #expect(hostile.page.unicodeScalars.allSatisfy { $0.value >= 0x20 && $0.value != 0x7F })
        #expect(hostile.page.utf8.count <= 200)
        #expect(hostile.blocked == "?", "\(hostile)")
        #expect(hostile.directive == "?", "\(hostile)")
        #expect(hostile.line == nil, "\(hostile)")
        #expect(report(#"{"csp-report":{"line-number":-3}}"#)?.line == nil)
        // Line and paragraph separators, NEL and a right-to-left override: gone too.
        let forged = try #require(report(#"{"csp-report":{"document-uri":"a\u0085b\u2028c\u2029d\u202Ee"}}"#))
        #expect(forged.page == "abcde")
    }

    @Test func theTwoPoliciesSayWhatTheyAllowAndBothReport() {
        let strict = PagePolicy.strict.contentSecurityPolicy, relaxed = PagePolicy.relaxed.contentSecurityPolicy
        #expect(strict.contains("script-src 'self';") && !strict.contains("unsafe-inline"))
        #expect(relaxed.contains("'unsafe-inline'") && relaxed.contains("https:") && relaxed.contains("ws:"))
        for policy in [strict, relaxed] {
            #expect(policy.contains("frame-ancestors 'none'"))
            #expect(policy.hasSuffix("report-uri /api/csp-report"))
        }
    }
}
