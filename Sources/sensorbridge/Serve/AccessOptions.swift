import ArgumentParser
import SensorBridgeServer

/// Who may watch and who may send: origins, host names, the access token.
struct AccessOptions: ParsableArguments {
    @Option(name: .customLong("allow-origin"), help: ArgumentHelp(
        "Let pages from this origin (e.g. https://dash.example:8443) read the stream; repeatable; * allows every site. Without it only the bridge's own page may (tools that send no Origin always can).",
        valueName: "url"))
    var allowOrigins: [String] = []

    @Option(name: .customLong("allow-host"), help: ArgumentHelp(
        "Also answer requests for this host name (e.g. the name a proxy or DNS gives this machine); repeatable; * for any. Loopback names and this machine's own names and addresses are always answered.",
        valueName: "name"))
    var allowHosts: [String] = []

    @Option(help: ArgumentHelp(
        "Require an access token on /graph, /api/status and /metrics, read from this file (- for standard input). The page carries it along from its address (?token=...).",
        valueName: "file"))
    var token: String?

    @Flag(help: "Require an access token, made up at start and printed in the page's address.")
    var requireToken = false

    @Flag(help: "Let pages (batched stream clients) send lines to the board: at most 10 a second, 200 bytes each, logged. Pages of other sites never may, even with --allow-origin *.")
    var allowSend = false

    func validate() throws {
        if token != nil, requireToken { throw ValidationError("give either --token FILE or --require-token, not both") }
        for origin in allowOrigins where origin != "*" && origin != "null" && AccessPolicy.normalizedOrigin(origin) == nil {
            throw ValidationError("--allow-origin \(origin) is not an origin; write it as the browser shows it: http://host or https://host:port")
        }
    }

    /// `--token FILE` (or `-`: standard input), or one made up for `--require-token`.
    func loadToken() throws -> String? {
        if requireToken { return AccessToken.generate() }
        return try token.map(AccessToken.read)
    }

    func policy(host: String, token: String?) -> AccessPolicy {
        AccessPolicy(allowedOrigins: allowOrigins, allowedHosts: ListenAddress.answeredNames(host: host, extra: allowHosts), token: token)
    }
}
