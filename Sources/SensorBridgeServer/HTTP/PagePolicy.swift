/// The Content-Security-Policy the page files are served with. The built-in page needs only
/// its own scripts and its own bridge, so it gets the strict one; a folder given with `--web`
/// is usually someone's own page (inline scripts, a chart library from a CDN, `style=`), which
/// the strict one would silently break, so it gets the relaxed one unless told otherwise.
/// Both send what they block to `/api/csp-report`, which the bridge logs: a blocked page is
/// never silent.
public enum PagePolicy: String, Sendable, CaseIterable {
    case strict
    case relaxed

    /// Where browsers post what the policy blocked.
    public static let reportPath = "/api/csp-report"

    public var contentSecurityPolicy: String {
        switch self {
        case .strict:
            "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; connect-src 'self'; "
                + "base-uri 'none'; form-action 'none'; frame-ancestors 'none'; report-uri \(Self.reportPath)"
        case .relaxed:
            // Still never framed by other sites (clickjacking); everything else a page of one's
            // own may do: inline and remote scripts and styles, any WebSocket or fetch.
            "default-src 'self' 'unsafe-inline' 'unsafe-eval' data: blob: http: https: ws: wss:; "
                + "frame-ancestors 'none'; report-uri \(Self.reportPath)"
        }
    }
}
