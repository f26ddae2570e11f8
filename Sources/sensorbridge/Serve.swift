import ArgumentParser
import Dispatch
import Foundation
import Logging
import NIOCore
import NIOPosix
import SensorBridgeCore
import SensorBridgeMQTT
import SensorBridgeSerial
import SensorBridgeStore
import SensorBridgeStream
import SensorBridgeServer
import SensorBridgeWeb

/// The main job: read a device (or replay a log) and serve the page and the stream.
struct Serve: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Serve a serial device or a recorded log to browsers (the default command)."
    )

    @Argument(help: "The serial device, e.g. /dev/ttyACM0 or a /dev/serial/by-id/ link. Without it: the one Arduino-class board plugged in.")
    var device: String?

    @Option(help: "Baud rate of the device; must match the sketch's Serial.begin().")
    var baud: Int = 9600

    @Option(help: "Address to listen on. Use 0.0.0.0 to let other machines connect.")
    var host: String = "127.0.0.1"

    @Option(help: "Port for the page and the WebSocket (0: any free port).")
    var port: Int = 8080

    @Option(help: ArgumentHelp("Replay a recorded log instead of reading a device.", valueName: "file"))
    var replay: String?

    @Option(help: "Replay speed: 1 is real time, 2 twice as fast, 0 as fast as possible.")
    var speed: Double = 1

    @Option(help: "Lines per second when replaying a raw capture (a log without time stamps).")
    var rate: Double = 50

    @Flag(help: "Replay the log over and over.")
    var loop = false

    @Option(help: ArgumentHelp("Also write what the device sends to a timestamped log.", valueName: "file"))
    var record: String?

    @Option(help: ArgumentHelp(
        "Relay: serve the stream another bridge publishes to an MQTT broker (its --mqtt address) instead of reading a device, e.g. mqtt://broker/lab/bench1.",
        valueName: "url"))
    var source: String?

    @Option(help: ArgumentHelp(
        "Also publish the stream to an MQTT broker under this base topic: mqtt://[user[:password]@]host[:port]/base/topic (mqtts:// for TLS). Samples go to <base>/samples in batches, the channel names and the source's state are retained on <base>/channels and <base>/status (docs/scale-out.md).",
        valueName: "url"))
    var mqtt: String?

    @Option(help: ArgumentHelp("Batches per second published to the MQTT broker: more is less latency through it, and more messages.", valueName: "hz"))
    var mqttRate: Double = 20

    @Option(help: ArgumentHelp("CA certificate file for an mqtts:// broker (default: the system's certificates).", valueName: "file"))
    var mqttCa: String?

    @Option(help: ArgumentHelp(
        "Read the MQTT password from this file (- for standard input) rather than from the address, where the process list would show it.",
        valueName: "file"))
    var mqttPasswordFile: String?

    /// Read from --mqtt-password-file once, at start.
    private var mqttPassword: String?

    @Option(help: ArgumentHelp("MQTT client id (default: sensorbridge-edge-HOSTNAME-PID, or -relay- for --source); each bridge on a broker needs its own.", valueName: "id"))
    var mqttClientId: String?

    @Flag(help: "With --mqtt: announce each channel to Home Assistant by MQTT discovery (retained configs under homeassistant/sensor/...), with the newest values once a second on <base>/state.")
    var homeassistant = false

    @Option(help: ArgumentHelp("Discovery prefix Home Assistant listens on.", valueName: "topic"))
    var homeassistantPrefix: String = "homeassistant"

    @Option(help: "Seconds of recent samples a newly connected client receives first, unless it asks for more with /graph?history=SECONDS (the page asks for 10 minutes).")
    var history: Double = 5

    @Option(help: "Samples kept in memory for late joiners and slow clients: the most history a client can get. The default holds 10 minutes at 100 Hz. Memory: about 250 bytes per sample of 3 channels, 20 more per extra channel: 16 MB for 65536 samples of 3 channels, 20 MB of 6 (docs/benchmarks.md).")
    var buffer: Int = 65_536

    @Option(help: ArgumentHelp(
        "The most memory those samples may take (e.g. 64M, 1G): wide samples (many channels) make the history shorter, never the memory larger.",
        valueName: "size"))
    var bufferBytes: String = "64M"

    @Option(help: ArgumentHelp(
        "When a sketch has used all 64 series, a label no line has carried for this long (e.g. 10m, 1h) gives its place to a new one.",
        valueName: "duration"))
    var forgetSeries: String = "10m"

    @OptionGroup var columns: BoardColumnOptions

    @Option(help: ArgumentHelp("Serve the page from this folder instead of the built-in copy.", valueName: "dir"))
    var web: String?

    @Option(help: ArgumentHelp(
        "The Content-Security-Policy of a --web folder's pages: relaxed lets a page of your own run its inline scripts and load a library from a CDN; strict is the built-in page's (own scripts only). What a policy blocks is logged.",
        valueName: "relaxed|strict"))
    var webPolicy: PagePolicy?

    @Option(help: "Seconds a connection may take to send a complete request or WebSocket handshake before it is dropped.")
    var handshakeTimeout: Double = 10

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

    @Option(help: "Graph clients served at once; the next gets 503. Default: as many as the descriptor limit allows (raised to the hard limit at start).")
    var maxClients: Int?

    @Option(help: "Open connections from one address (loopback excepted); the next gets 503.")
    var maxConnectionsPerAddress: Int = 64

    @Option(help: "Seconds a graph client may stay behind the stream (not reading, or reading too slowly) before it is closed (1008).")
    var clientTimeout: Double = 30

    @OptionGroup(title: "History")
    var storeOptions: StoreOptions

    @Option(help: ArgumentHelp(
        "Serve the page, history and export of this store with no board (e.g. yesterday's data copied from another machine).",
        valueName: "file"))
    var archive: String?

    @Flag(help: .hidden)
    var testEchoEndpoint = false

    @Option(help: "Log level: trace, debug, info, notice, warning, error.")
    var logLevel: String = "info"

    func validate() throws {
        if webPolicy != nil, web == nil {
            throw ValidationError("--web-policy is for the pages of a --web folder (the built-in page always has the strict policy): give --web DIR with it")
        }
        if replay == nil, source == nil, let problem = BaudRate.problem(with: baud) {
            throw ValidationError(problem)
        }
        if archive != nil {
            if device != nil || replay != nil || source != nil { throw ValidationError("--archive serves a store alone: give no DEVICE, --replay or --source with it") }
            if record != nil || mqtt != nil || allowSend || storeOptions.store != nil || storeOptions.storeMicros {
                throw ValidationError("--archive reads a store and writes no samples: --record, --mqtt, --allow-send, --store and --store-micros do not go with it")
            }
        }
        if replay != nil, storeOptions.store == nil, storeOptions.storeMicros {
            throw ValidationError("a replay keeps no history unless given --store FILE: --store-micros needs it")
        }
        if replay != nil, device != nil {
            throw ValidationError("give either a DEVICE or --replay FILE, not both")
        }
        if let source {
            if replay != nil || device != nil { throw ValidationError("give one source: a DEVICE, --replay FILE or --source URL") }
            if record != nil { throw ValidationError("--record writes what a device sends; a relay (--source) receives samples, not lines: record at the edge bridge") }
            if allowSend { throw ValidationError("--allow-send needs the board on this machine; a relay (--source) has none") }
            let address = try mqttAddress(source, option: "--source")
            if let mqtt, try mqttAddress(mqtt, option: "--mqtt").sameStream(as: address) {
                throw ValidationError("--mqtt names the topic this relay reads (--source): it would read its own messages")
            }
        }
        if let mqtt { _ = try mqttAddress(mqtt, option: "--mqtt") }
        guard mqttRate >= 0.1, mqttRate <= 1000 else { throw ValidationError("--mqtt-rate must be 0.1…1000 batches a second") }
        if mqttPasswordFile != nil, mqtt == nil, source == nil { throw ValidationError("--mqtt-password-file goes with --mqtt or --source") }
        if homeassistant, mqtt == nil { throw ValidationError("--homeassistant announces what --mqtt publishes: give --mqtt URL too") }
        if let problem = MQTTAddress.topicProblem(homeassistantPrefix) { throw ValidationError("--homeassistant-prefix: \(problem)") }
        guard speed >= 0, speed.isFinite else { throw ValidationError("--speed must be 0 or more") }
        guard rate > 0, rate.isFinite else { throw ValidationError("--rate must be more than 0") }
        guard history >= 0, history.isFinite else { throw ValidationError("--history must be 0 or more") }
        guard buffer >= 16 else { throw ValidationError("--buffer must be at least 16 samples") }
        guard buffer <= 100_000_000 else { throw ValidationError("--buffer must be at most 100000000 samples (use --buffer-bytes to bound memory)") }
        guard let bytes = ByteSizeText.bytes(bufferBytes), bytes >= 1 << 20 else {
            throw ValidationError("--buffer-bytes must be a size from 1M to 1T, such as 64M or 1G")
        }
        guard DurationText.seconds(forgetSeries).map({ $0 >= 1 }) == true else {
            throw ValidationError("--forget-series must be a duration of at least 1 s, such as 10m or 1h")
        }
        guard history <= DurationText.maxSeconds else { throw ValidationError("--history must be at most \(Int(DurationText.maxSeconds)) seconds") }
        guard speed == 0 || (0.001...1_000_000).contains(speed) else {
            throw ValidationError("--speed must be 0 (as fast as possible) or 0.001…1000000")
        }
        guard rate >= 0.001, rate <= 10_000_000 else { throw ValidationError("--rate must be 0.001…10000000 lines a second") }
        guard handshakeTimeout >= 0.1, handshakeTimeout <= 3_600 else {
            throw ValidationError("--handshake-timeout must be 0.1…3600 seconds")
        }
        guard (0...65535).contains(port) else { throw ValidationError("--port must be 0…65535") }
        guard maxClients.map({ $0 >= 1 }) ?? true else { throw ValidationError("--max-clients must be at least 1") }
        guard maxConnectionsPerAddress >= 1 else { throw ValidationError("--max-connections-per-address must be at least 1") }
        guard clientTimeout >= 0.1, clientTimeout <= 86_400 else {
            throw ValidationError("--client-timeout must be 0.1…86400 seconds")
        }
        if token != nil, requireToken { throw ValidationError("give either --token FILE or --require-token, not both") }
        for origin in allowOrigins where origin != "*" && origin != "null" && AccessPolicy.normalizedOrigin(origin) == nil {
            throw ValidationError("--allow-origin \(origin) is not an origin; write it as the browser shows it: http://host or https://host:port")
        }
        try ListenAddress.validate(host)
        guard Logger.Level(rawValue: logLevel) != nil else {
            throw ValidationError("--log-level must be one of: trace, debug, info, notice, warning, error, critical")
        }
    }

    func run() throws {
        let level = Logger.Level(rawValue: logLevel) ?? .info
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        let logger = Logger(label: "sensorbridge")
        do {
            try serve(logger: logger)
        } catch let error as SourceError {
            FileHandle.standardError.write(Data("sensorbridge: \(error.description)\n".utf8))
            throw ExitCode(1)
        } catch let error as CommandError {
            FileHandle.standardError.write(Data("sensorbridge: \(error.description)\n".utf8))
            throw ExitCode(error.exitCode)
        } catch let error as MQTTLinkError {
            FileHandle.standardError.write(Data("sensorbridge: MQTT: \(error.description)\n".utf8))
            throw ExitCode(1)
        } catch let error as SerialError {
            FileHandle.standardError.write(Data("sensorbridge: \(error.description)\n".utf8))
            throw ExitCode(1)
        } catch let error as SerialConfigurationError {
            // A speed the port's driver will not take, found at the first open.
            FileHandle.standardError.write(Data("sensorbridge: \(error.description)\n".utf8))
            throw ExitCode(1)
        } catch let error as IOError {
            let message = ListenAddress.bindFailure(errno: error.errnoCode, host: host, port: port)
            FileHandle.standardError.write(Data("sensorbridge: \(message)\n".utf8))
            throw ExitCode(1)
        } catch is SocketAddressError {
            FileHandle.standardError.write(Data("sensorbridge: cannot listen on \(host): no address of this machine has that name; its addresses are \(ListenAddress.ownAddresses().joined(separator: ", "))\n".utf8))
            throw ExitCode(1)
        }
    }

    private func serve(logger: Logger) throws {
        let accessToken = try loadToken()
        var serve = self
        serve.mqttPassword = try mqttPasswordFile.map(Self.readPassword)
        try serve.serveSource(token: accessToken, logger: logger)
    }

    /// The first line of `path` (or of standard input for `-`), without its line end.
    private static func readPassword(_ path: String) throws -> String {
        let text: String?
        if path == "-" {
            text = readLine(strippingNewline: true)
        } else {
            text = FileManager.default.contents(atPath: path).map { String(decoding: $0, as: UTF8.self) }
                .map { String($0.split(separator: "\n", omittingEmptySubsequences: false).first ?? "") }
        }
        guard let text else { throw CommandError("cannot read the MQTT password file \(path): no such file, or not readable") }
        let password = text.hasSuffix("\r") ? String(text.dropLast()) : text
        guard !password.isEmpty else { throw CommandError("the MQTT password \(path == "-" ? "on standard input" : "in \(path)") is empty") }
        return password
    }

    private func serveSource(token accessToken: String?, logger: Logger) throws {
        if let archive {
            return try serveArchive(archive, token: accessToken, logger: logger)
        }
        if let source {
            return try relay(from: mqttAddress(source, option: "--source"), token: accessToken, logger: logger)
        }
        let device = try device ?? (replay == nil ? detectBoard(logger: logger) : nil)
        let description = describeSource(device: device)
        let stream = SensorStream(source: description, capacity: buffer, maxBytes: bufferByteCount, historySeconds: history)
        let source: any ByteSource = if let replay {
            ReplaySource(file: ReplayFile(path: replay, rawLineRate: rate), speed: speed, loop: loop, logger: logger)
        } else {
            SerialReader(path: device!, baud: baud, logger: logger)  // without --replay, a device was given or detected above
        }
        let recorder = try record.map {
            try Recorder(path: $0, source: "\(description.name) baud \(description.baud.map(String.init) ?? "-")", logger: logger)
        }
        let history = try storeOptions.startWriter(stream: stream, sourceName: storeSourceName(device: device), isReplay: replay != nil, logger: logger)
        let monitor = LineMonitor()
        let pipeline = IngestPipeline(
            stream: stream, recorder: recorder, monitor: monitor,
            forgetSeriesAfterMicros: Int64(saturating: (DurationText.seconds(forgetSeries) ?? 600) * 1_000_000),
            timeColumn: columns.timeColumnChoice, counterColumn: columns.counterColumnChoice, logger: logger)
        let sender = allowSend ? LineSender(target: source as? any LineTarget, monitor: monitor, logger: logger) : nil
        // Open the device (or check the log) before listening, so a wrong one is reported
        // before anything is served.
        do {
            try source.start(into: pipeline)
        } catch {
            pipeline.close()
            history?.stop()
            throw error
        }
        if let device, let facts = USBDeviceFacts.lookUp(path: device) {
            logger.info("\(device) is \(facts)")
        }
        let publisher: MQTTPublisher?
        do {
            publisher = try startPublisher(stream: stream, logger: logger)
        } catch {
            source.stop()
            pipeline.close()
            history?.stop()
            throw error
        }
        // A flood of skipped lines or refused sends that stopped is still reported, within a second.
        let logFlush = DispatchSource.makeTimerSource(queue: .global())
        logFlush.schedule(deadline: .now() + 1, repeating: 1)
        logFlush.setEventHandler {
            pipeline.flushLog()
            sender?.flushLog()
        }
        logFlush.resume()
        try startServerAndWait(
            clients: GraphClients(stream: stream, sender: sender, monitor: monitor, brokerLinks: publisher.map { [$0.counters] } ?? [],
                                  history: history),
            token: accessToken, logger: logger,
            stopInput: { logFlush.cancel(); source.stop(); pipeline.close(); publisher?.stop(); history?.stop() })
    }

    /// `--source mqtt://…`: no device; the stream comes from another bridge through the broker.
    private func relay(from address: MQTTAddress, token: String?, logger: Logger) throws {
        let stream = SensorStream(source: MQTTRelay.sourceStatus(for: address), capacity: buffer, maxBytes: bufferByteCount,
                                  historySeconds: history)
        let relay = MQTTRelay(
            stream: stream, connection: BrokerConnection(address: address, clientID: clientID(role: "relay"), caFile: mqttCa), logger: logger)
        let history = try storeOptions.startWriter(stream: stream, sourceName: address.displayed, isReplay: false, logger: logger)
        do {
            try relay.start()
        } catch {
            history?.stop()
            throw error
        }
        let publisher: MQTTPublisher?
        do {
            publisher = try startPublisher(stream: stream, logger: logger)
        } catch {
            relay.stop()
            history?.stop()
            throw error
        }
        try startServerAndWait(
            clients: GraphClients(stream: stream, brokerLinks: [relay.counters] + (publisher.map { [$0.counters] } ?? []), history: history),
            token: token, logger: logger,
            stopInput: { relay.stop(); publisher?.stop(); history?.stop() })
    }

    /// `--archive FILE`: no source; the page, history and export of a store.
    private func serveArchive(_ path: String, token: String?, logger: Logger) throws {
        let store: HistoryStore
        do {
            store = try HistoryStore(path: path, readOnly: true)
        } catch {
            throw CommandError(error.description)
        }
        let stream = SensorStream(source: SourceStatus(kind: .archive, name: path, baud: nil), capacity: 16, historySeconds: 0)
        stream.updateSource(state: .finished, detail: "an archive: the history of \(path), no board")
        try startServerAndWait(
            clients: GraphClients(stream: stream, history: StoreService(store: store, writer: nil)),
            token: token, logger: logger, stopInput: {})
    }

    /// What the store calls this source: the device, the replayed file's name.
    private func storeSourceName(device: String?) -> String {
        if let replay {
            let name = (replay as NSString).lastPathComponent
            return (name as NSString).deletingPathExtension.isEmpty ? name : (name as NSString).deletingPathExtension
        }
        return device ?? "serial"
    }

    /// `--mqtt URL`: the sink that publishes the stream, started before serving.
    private func startPublisher(stream: SensorStream, logger: Logger) throws -> MQTTPublisher? {
        guard let mqtt else { return nil }
        var settings = MQTTPublisher.Settings(connection: BrokerConnection(
            address: try mqttAddress(mqtt, option: "--mqtt"), clientID: clientID(role: "edge"), caFile: mqttCa))
        settings.tickHertz = mqttRate
        settings.homeAssistantPrefix = homeassistant ? homeassistantPrefix : nil
        let publisher = MQTTPublisher(stream: stream, settings: settings, logger: logger)
        try publisher.start()
        let address = settings.connection.address
        logger.info("publishing to \(address.displayed) (\(address.samplesTopic), \(address.channelsTopic), \(address.statusTopic))")
        return publisher
    }

    private func clientID(role: String) -> String {
        if let mqttClientId { return role == "relay" && mqtt != nil && source != nil ? mqttClientId + "-relay" : mqttClientId }
        let host = ProcessInfo.processInfo.hostName.split(separator: ".").first.map(String.init) ?? "host"
        return "sensorbridge-\(role)-\(host)-\(getpid())"
    }

    private func mqttAddress(_ text: String, option: String) throws -> MQTTAddress {
        var address: MQTTAddress
        do {
            address = try MQTTAddress(parsing: text)
        } catch {
            throw ValidationError("\(option) \(error.description)")
        }
        if mqttPasswordFile != nil, address.username == nil {
            throw ValidationError("--mqtt-password-file needs a user name in the \(option) address: mqtt://USER@host/base")
        }
        address.password = mqttPassword ?? address.password
        return address
    }

    /// `--buffer-bytes` (checked by `validate`).
    private var bufferByteCount: Int { ByteSizeText.bytes(bufferBytes) ?? SensorStream.defaultMaxBytes }

    private func describeSource(device: String?) -> SourceStatus {
        if let replay {
            return SourceStatus(kind: .replay, name: replay, baud: nil)
        }
        return SourceStatus(kind: .serial, name: device ?? "", baud: baud)
    }

    /// No device given: the one Arduino-class board plugged in, else say what there is (exit 2).
    private func detectBoard(logger: Logger) throws -> String {
        let choice = DeviceChoice(devices: SerialDeviceScanner.scan())
        guard case .one(let board) = choice else {
            throw CommandError("no device given, and " + (choice.explanation ?? ""), exitCode: 2)
        }
        logger.info("no device given; using the only Arduino-class board: \(board.summary.trimmingCharacters(in: .whitespaces))")
        return board.preferredPath
    }

    /// `--token FILE` (or `-`: standard input), or one made up for `--require-token`.
    private func loadToken() throws -> String? {
        if requireToken { return AccessToken.generate() }
        return try token.map(AccessToken.read)
    }

    private func startServerAndWait(
        clients: GraphClients, token: String?, logger: Logger, stopInput: @escaping () -> Void
    ) throws {
        let pages = web.map { PageFiles.directory($0, policy: webPolicy ?? .relaxed) } ?? PageFiles.embedded(WebAssets.files.mapValues { ($0.bytes, $0.contentType) })
        let descriptors = DescriptorLimit.raiseToHardLimit()
        let connections = DescriptorLimit.connections(at: descriptors)
        let access = AccessPolicy(
            allowedOrigins: allowOrigins,
            allowedHosts: ListenAddress.answeredNames(host: host, extra: allowHosts),
            token: token)
        let server: GraphServer
        do {
            server = try GraphServer(
                clients: clients, pages: pages,
                configuration: .init(
                    host: host, port: port,
                    handshakeTimeout: .nanoseconds(Int64(handshakeTimeout * 1_000_000_000)),
                    echoEndpoint: testEchoEndpoint,
                    access: access,
                    maxClients: min(maxClients ?? connections, connections),
                    maxConnectionsPerAddress: maxConnectionsPerAddress,
                    maxConnections: connections,
                    clientTimeout: .nanoseconds(Int64(clientTimeout * 1_000_000_000))),
                logger: logger)
        } catch {
            stopInput()
            throw error
        }
        if let maxClients, maxClients > connections {
            logger.warning("--max-clients \(maxClients) is more than the descriptor limit (\(descriptors)) allows; serving at most \(connections)")
        }
        if token == nil, !AccessPolicy.isLoopbackName(host) {
            logger.warning("listening on \(host) without an access token: anyone who can reach this machine can watch the stream; add --require-token (or --token FILE)")
        }
        let query = token.map { "?token=" + $0 } ?? ""
        let bases = ListenAddress.baseURLs(host: host, port: server.port)
        var banner = ["sensorbridge: serving \(clients.stream.sourceStatus.name)"]
        for base in bases { banner.append("  page:      \(base)/\(query)") }
        let primary = bases[0]
        banner.append("  websocket: \(primary.replacingOccurrences(of: "http://", with: "ws://"))/graph\(query)")
        banner.append("  status:    \(primary)/api/status\(query)")
        banner.append("  metrics:   \(primary)/metrics\(query)")
        if testEchoEndpoint {
            banner.append("  echo:      \(primary.replacingOccurrences(of: "http://", with: "ws://"))/echo (conformance testing)")
        }
        // Written at once, not through stdout's buffer: a pipe reading it sees the URLs now.
        FileHandle.standardOutput.write(Data((banner.joined(separator: "\n") + "\n").utf8))

        let done = DispatchSemaphore(value: 0)
        // SIGHUP too: closing the terminal the bridge runs in must end it cleanly (recording
        // flushed, clients told), not kill it.
        let signals = [SIGINT, SIGTERM, SIGHUP].map { number -> DispatchSourceSignal in
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { done.signal() }
            source.resume()
            return source
        }
        done.wait()
        logger.info("shutting down: closing clients (1001 going away)")
        stopInput()
        server.shutdown()
        signals.forEach { $0.cancel() }
    }
}

extension PagePolicy: ExpressibleByArgument {}
