import Foundation
import SensorBridgeCore

/// A browser's report of what the page's Content-Security-Policy blocked (`report-uri`:
/// `{"csp-report": {...}}`), read into one sentence for the bridge's log. The body comes from
/// any client: every field is optional, shortened and stripped of control characters, and a
/// page address loses its query (it may carry the access token).
public struct PolicyViolationReport: Equatable, Sendable {
    /// The most of a report that is read; a bigger body is refused unread.
    public static let maxBodyBytes = 16 * 1024

    public var page: String
    public var directive: String
    public var blocked: String
    public var line: Int?

    /// nil when the body is not such a report.
    public static func parse(_ body: [UInt8]) -> PolicyViolationReport? {
        guard body.count <= maxBodyBytes,
              let object = (try? JSONSerialization.jsonObject(with: Data(body))) as? [String: Any],
              let report = object["csp-report"] as? [String: Any]
        else { return nil }
        func text(_ key: String) -> String? { (report[key] as? String).map(clean) }
        let directive = text("effective-directive") ?? text("violated-directive") ?? "?"
        let line = (report["line-number"] as? NSNumber).map { $0.doubleValue }
            .flatMap { $0 >= 1 && $0 <= 1e9 ? Int($0) : nil }
        return PolicyViolationReport(
            page: text("document-uri").map(withoutQuery) ?? "the page",
            directive: directive.split(separator: " ").first.map(String.init) ?? directive,
            blocked: text("blocked-uri").map(withoutQuery) ?? "?",
            line: line)
    }

    /// What the log says, with what to do about it under `policy` (for the files of a
    /// `--web` folder when `servingFolder`).
    public func sentence(servingFolder: Bool, policy: PagePolicy) -> String {
        let what = switch blocked {
        case "inline": directive.hasPrefix("style") ? "an inline style" : "an inline script"
        case "eval": "eval"
        case "": "a resource"
        default: blocked
        }
        let place = line.map { " (line \($0))" } ?? ""
        let advice = switch (servingFolder, policy) {
        case (true, .strict): "start the bridge with --web-policy relaxed to let a page of your own run its own scripts"
        case (true, .relaxed): "even the relaxed policy of a --web folder forbids this (being framed by another site, or a form or plugin it does not allow)"
        case (false, _): "the built-in page should never be blocked: please report this"
        }
        return "the page's Content-Security-Policy blocked \(what) on \(page)\(place) (\(directive)); \(advice)"
    }

    /// No control, format (bidirectional overrides) or line-breaking characters: a report
    /// must not forge log lines or reorder what a log viewer shows.
    private static func clean(_ text: String) -> String {
        String(String.UnicodeScalarView(text.unicodeScalars.filter { scalar in
            switch scalar.properties.generalCategory {
            case .control, .format, .lineSeparator, .paragraphSeparator: false
            default: true
            }
        })).shortened(toUTF8Bytes: 200)
    }

    private static func withoutQuery(_ address: String) -> String {
        String(address.prefix { $0 != "?" && $0 != "#" })
    }
}
