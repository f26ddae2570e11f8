import Foundation
import Testing
import TestSupport

private let chromium = ["/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"]
    .first { FileManager.default.isExecutableFile(atPath: $0) }

/// The page, in a real headless browser, against the real binary replaying a shipped recording.
/// (scripts/test.sh installs Debian's chromium, so CI always runs this.)
@Suite(.enabled(if: chromium != nil, "needs chromium (installed by scripts/test.sh)"))
struct BrowserPageTests {
    @Test func thePageConnectsWithChatAndGraphsTheReplay() throws {
        let bridge = try BridgeProcess(["--replay", BridgeProcess.packageRoot + "/hardware/recordings/tilt-60s-50hz.log"])
        let browser = Process()
        browser.executableURL = URL(fileURLWithPath: chromium!)
        browser.arguments = [
            "--headless", "--no-sandbox", "--disable-gpu", "--virtual-time-budget=5000",
            "--dump-dom", "http://127.0.0.1:\(bridge.port)/",
        ]
        let output = Pipe()
        browser.standardOutput = output
        browser.standardError = FileHandle.nullDevice
        try browser.run()
        let dom = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        browser.waitUntilExit()

        // The original page's offer ['soap', 'chat'] was answered with chat...
        #expect(dom.contains(#"data-state="open""#))
        #expect(dom.contains("live (chat)"))
        // ...and samples arrived and were drawn (the counter is updated with each redraw).
        let count = dom.range(of: #"data-count=""#).map { dom[$0.upperBound...].prefix { $0.isNumber } }
        #expect(Int(count ?? "") ?? 0 > 10, "samples shown: \(count ?? "none")")
        let pitch = dom.range(of: #"id="pitch">"#).map { dom[$0.upperBound...].prefix { $0 != "<" } }
        #expect(pitch.flatMap { Double($0) } != nil, "a tilt angle is shown")
    }
}
