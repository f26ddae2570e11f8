import Foundation
import NIOHTTP1

/// Decides what an opening handshake gets, from the request head alone. Browsers have
/// spoken several handshake versions; the bridge answers every one it can (RFC 6455 and the
/// hybi drafts 7 and 8, and legacy hixie-76) and says clearly what is wrong with the rest,
/// because a refused handshake with no answer is what makes such problems hard to find.
enum WebSocketHandshake {
    /// The `Sec-WebSocket-Version` values answered with RFC 6455 framing, newest first
    /// (also the value of the header sent with 426).
    static let supportedVersions = [13, 8, 7]

    enum Verdict {
        case hybi(HybiHandshake)
        case hixie76(Hixie76Handshake)
        /// 426: not a WebSocket request, or a version not spoken here.
        case upgradeRequired(reason: String)
        /// 400: a handshake that is malformed.
        case badRequest(reason: String)
    }

    static func evaluate(_ head: HTTPRequestHead) -> Verdict {
        let headers = head.headers
        guard head.method == .GET else {
            return .badRequest(reason: "a WebSocket handshake must be a GET request, not \(head.method.rawValue)")
        }
        let upgrade = headers[canonicalForm: "Upgrade"].map { $0.lowercased() }
        guard upgrade.contains("websocket") else {
            let what = upgrade.isEmpty ? "no Upgrade header" : "Upgrade: \(headers["Upgrade"].joined(separator: ", "))"
            return .upgradeRequired(reason: "this is a WebSocket endpoint; the request is not a WebSocket upgrade (\(what))")
        }
        guard head.version.major == 1, head.version.minor >= 1 else {
            return .badRequest(reason: "a WebSocket handshake needs HTTP/1.1, not HTTP/\(head.version.major).\(head.version.minor)")
        }
        let hosts = headers["Host"]
        guard hosts.count == 1, let host = hosts.first?.trimmed, !host.isEmpty else {
            return .badRequest(reason: hosts.isEmpty ? "no Host header" : "the Host header must appear once and not be empty")
        }
        guard headers[canonicalForm: "Connection"].contains(where: { $0.lowercased() == "upgrade" }) else {
            return .badRequest(reason: "the Connection header does not include Upgrade")
        }

        let versions = headers["Sec-WebSocket-Version"]
        if versions.isEmpty, !headers["Sec-WebSocket-Key1"].isEmpty || !headers["Sec-WebSocket-Key2"].isEmpty {
            return Hixie76Handshake.evaluate(head, host: host)
        }
        let offered = versions.map(\.trimmed).joined(separator: ", ")
        guard versions.count == 1, let version = Int(offered), supportedVersions.contains(version) else {
            let what = versions.isEmpty ? "no Sec-WebSocket-Version" : "Sec-WebSocket-Version \(offered)"
            return .upgradeRequired(reason: "\(what) is not spoken here; use version 13 (RFC 6455), or 8 or 7")
        }
        return HybiHandshake.evaluate(head, version: version)
    }
}

extension String {
    /// Header values and list items, without the spaces and tabs around them.
    var trimmed: String { trimmingCharacters(in: .whitespaces) }
}
