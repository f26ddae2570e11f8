import Foundation
import NIOHTTP1
import SensorBridgeStream

/// `/api/sources` (GET: the sources, their state and rate) and `/api/sources/NAME/release`
/// and `/reopen` (POST: hand the port over for an upload, take it back). Decided here from
/// the request alone; the release itself, which waits for the reading thread, is done by the
/// caller off the event loop.
enum SourceEndpoint {
    static let prefix = "/api/sources"
    /// How long a release holds when the request does not say (`?seconds=`).
    static let defaultSeconds = 60.0

    /// What the decision needs of each source.
    struct Source: Equatable {
        var name: String
        var kind: SourceKind
        var canRelease: Bool
    }

    enum Answer: Equatable {
        case list
        case release(source: String, seconds: Double)
        case reopen(source: String)
        case refuse(status: HTTPResponseStatus, reason: String, allow: String? = nil)

        var actsOnTheBoard: Bool {
            switch self {
            case .release, .reopen: true
            case .list, .refuse: false
            }
        }
    }

    /// - Parameters:
    ///   - foreignOrigin: the Origin of a page that may not act on the board (another site's,
    ///     even if it may read), or nil; the same rule as for sending lines.
    static func answer(method: HTTPMethod, uri: String, sources: [Source], foreignOrigin: String?) -> Answer {
        let parts = uri.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)
        let path = String(parts[0])
        let query = parts.count > 1 ? String(parts[1]) : ""
        if path == prefix || path == prefix + "/" {
            guard method == .GET || method == .HEAD else { return .refuse(status: .methodNotAllowed, reason: "GET lists the sources", allow: "GET, HEAD") }
            return .list
        }
        guard path.hasPrefix(prefix + "/") else { return .refuse(status: .notFound, reason: "Not found: \(path.shortened(toUTF8Bytes: 200))") }
        let rest = path.dropFirst(prefix.count + 1).split(separator: "/", omittingEmptySubsequences: false)
        guard rest.count == 2, rest[1] == "release" || rest[1] == "reopen" else {
            return .refuse(status: .notFound, reason: "Not found: \(path); try \(prefix)/NAME/release or \(prefix)/NAME/reopen")
        }
        let name = String(rest[0]).removingPercentEncoding ?? String(rest[0])
        guard method == .POST else {
            return .refuse(status: .methodNotAllowed, reason: "\(rest[1]) is done with POST", allow: "POST")
        }
        guard let source = sources.first(where: { $0.name == name }) else {
            return .refuse(status: .notFound, reason: "no source is named '\(name.shortened(toUTF8Bytes: 80))'; this bridge has: \(sources.map(\.name).joined(separator: ", "))")
        }
        if let refusal = source.kind.releaseRefusal { return .refuse(status: .conflict, reason: refusal) }
        guard source.canRelease else { return .refuse(status: .conflict, reason: "this source cannot be released") }
        if let foreignOrigin {
            return .refuse(status: .forbidden, reason: "pages from \(foreignOrigin.shortened(toUTF8Bytes: 200)) may not release the board's port: only the bridge's own page, an origin named with --allow-origin, or a tool such as sensorbridge release may")
        }
        guard rest[1] == "release" else { return .reopen(source: name) }
        guard let seconds = seconds(query) else {
            return .refuse(status: .badRequest, reason: "seconds must be a number from 1 to \(Int(ReleaseHold.longestSeconds))")
        }
        return .release(source: name, seconds: seconds)
    }

    /// Who may hand the port over from another machine: anyone who may watch, when watching
    /// needs the token; without one, only where sending lines is on (`--allow-send`): a bridge
    /// opened to the network for watching must not let every watcher stop the board.
    static func remoteRefusal(peerIsLoopback: Bool, hasToken: Bool, sendingAllowed: Bool) -> String? {
        guard !peerIsLoopback, !hasToken, !sendingAllowed else { return nil }
        return "releasing the port from another machine needs the bridge's access token (--require-token or --token FILE) or --allow-send"
    }

    /// `seconds=N` in the query, 1…longest; the default when absent; nil when invalid.
    static func seconds(_ query: String) -> Double? {
        let value = query.split(separator: "&").compactMap { pair -> Substring? in
            let field = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            return field.count == 2 && field[0] == "seconds" ? field[1] : nil
        }.last
        guard let value else { return defaultSeconds }
        guard value.utf8.count <= 12, let seconds = Double(value), seconds.isFinite,
              (1...ReleaseHold.longestSeconds).contains(seconds) else { return nil }
        return seconds
    }
}
