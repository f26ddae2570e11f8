import ArgumentParser
import Logging
import SensorBridgeServer
import SensorBridgeWeb

/// Where the page and the stream are served, and which page.
struct ServerOptions: ParsableArguments {
    @Option(help: "Address to listen on. Use 0.0.0.0 to let other machines connect.")
    var host: String = "127.0.0.1"

    @Option(help: "Port for the page and the WebSocket (0: any free port).")
    var port: Int = 8080

    @Option(help: ArgumentHelp("Serve the page from this folder instead of the built-in copy.", valueName: "dir"))
    var web: String?

    @Option(help: ArgumentHelp(
        "The Content-Security-Policy of a --web folder's pages: relaxed lets a page of your own run its inline scripts and load a library from a CDN; strict is the built-in page's (own scripts only). What a policy blocks is logged.",
        valueName: "relaxed|strict"))
    var webPolicy: PagePolicy?

    @Option(help: "Seconds a connection may take to send a complete request or WebSocket handshake before it is dropped.")
    var handshakeTimeout: Double = 10

    @Flag(help: .hidden)
    var testEchoEndpoint = false

    @Option(help: "Log level: trace, debug, info, notice, warning, error.")
    var logLevel: String = "info"

    func validate() throws {
        if webPolicy != nil, web == nil {
            throw ValidationError("--web-policy is for the pages of a --web folder (the built-in page always has the strict policy): give --web DIR with it")
        }
        guard handshakeTimeout >= 0.1, handshakeTimeout <= 3_600 else {
            throw ValidationError("--handshake-timeout must be 0.1…3600 seconds")
        }
        guard (0...65535).contains(port) else { throw ValidationError("--port must be 0…65535") }
        try ListenAddress.validate(host)
        guard Logger.Level(rawValue: logLevel) != nil else {
            throw ValidationError("--log-level must be one of: trace, debug, info, notice, warning, error, critical")
        }
    }

    /// The built-in page, or a `--web` folder's under its policy.
    var pages: PageFiles {
        web.map { PageFiles.directory($0, policy: webPolicy ?? .relaxed) }
            ?? PageFiles.embedded(WebAssets.files.mapValues { ($0.bytes, $0.contentType) })
    }
}

extension PagePolicy: ExpressibleByArgument {}
