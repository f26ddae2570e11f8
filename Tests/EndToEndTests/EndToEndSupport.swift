import Foundation
import TestSupport
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// The first `count` lines of the shipped 60 s tilt recording, with their offsets.
func shippedTiltLines(_ count: Int) throws -> [(offsetMicros: Int64, line: String)] {
    let path = BridgeProcess.packageRoot + "/hardware/recordings/tilt-60s-50hz.log"
    let text = try String(contentsOfFile: path, encoding: .utf8)
    var lines: [(Int64, String)] = []
    for row in text.split(separator: "\n") where !row.hasPrefix("#") {
        let parts = row.split(separator: " ", maxSplits: 1)
        let seconds = Double(parts[0])!
        lines.append((Int64((seconds * 1_000_000).rounded()), String(parts[1])))
        if lines.count == count { break }
    }
    return lines.map { (offsetMicros: $0.0, line: $0.1) }
}

/// Plays `lines` into the pty master as a board would, CR LF terminated, at their offsets.
func play(_ lines: [(offsetMicros: Int64, line: String)], into pty: PseudoTerminal) {
    let start = Date()
    for (offset, line) in lines {
        let due = start.addingTimeInterval(Double(offset) / 1_000_000)
        let wait = due.timeIntervalSinceNow
        if wait > 0 { usleep(useconds_t(wait * 1_000_000)) }
        pty.write(line + "\r\n")
    }
}

func expectedValues(_ line: String) -> [Double] {
    line.split(separator: ",").map { Double($0)! }
}

func decodeSample(_ text: String) -> [Double]? {
    (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [Double]
}

/// Polls `/api/status` until `condition` holds and returns that report. When `timeout`
/// passes first, the test fails there (with the last report seen) and the last report is
/// returned: a caller that only waits cannot go on as if the wait had succeeded.
@discardableResult
func waitForStatus(_ bridge: BridgeProcess, timeout: TimeInterval = 10, sourceLocation: SourceLocation = #_sourceLocation,
                   until condition: ([String: Any]) -> Bool) -> [String: Any] {
    let deadline = Date().addingTimeInterval(timeout)
    var last: [String: Any] = [:]
    while Date() < deadline {
        if let (status, body) = try? bridge.get("/api/status"), status == 200,
           let report = (try? JSONSerialization.jsonObject(with: Data(body.utf8))) as? [String: Any] {
            last = report
            if condition(report) { return report }
        }
        usleep(50_000)
    }
    Issue.record("the bridge's status did not come to what the test waited for in \(timeout) s; the last: \(last)", sourceLocation: sourceLocation)
    return last
}
