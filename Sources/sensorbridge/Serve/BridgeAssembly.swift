import Dispatch
import Logging
import SensorBridgeMQTT
import SensorBridgeNetwork
import SensorBridgeSerial
import SensorBridgeServer
import SensorBridgeStore
import SensorBridgeStream

/// Which parts a `serve` starts, and in what order, for each kind of source: the store
/// before the source that fills it, the source (its device opened, or its log checked)
/// before anything is served, the server last.
extension Serve {
    /// Starts every part into `bridge`; returns each source's clients, the first the default.
    func assemble(into bridge: Bridge, logger: Logger) throws -> [GraphClients] {
        if let archive = source.archive { return [try archiveClients(archive)] }
        if let relay = source.source { return [try relayClients(relay, bridge: bridge, logger: logger)] }
        if source.replay != nil { return [try byteSourceClients(nil, several: false, bridge: bridge, logger: logger)] }
        let entries = try source.all ? everyBoard(logger: logger)
            : source.devices.isEmpty ? [SourceList.Entry(name: "", location: try detectBoard(logger: logger))] : source.entries
        let several = entries.count > 1
        if several, let store = storeOptions.store {
            throw CommandError("--store \(store) holds one source's history; with several sources each keeps its own file (the default), or give --no-store")
        }
        return try entries.map { entry in
            try byteSourceClients(entry, several: several, bridge: bridge, logger: logger)
        }
    }

    /// A device, a board on the network, or a replayed log (`entry` nil): bytes through the
    /// ingest path into a stream of its own.
    private func byteSourceClients(_ entry: SourceList.Entry?, several: Bool, bridge: Bridge, logger: Logger) throws -> GraphClients {
        let location = entry?.location
        let status = source.status(location: location)
        let name = entry.map { $0.name.isEmpty ? SourceName.derived(kind: status.kind, location: $0.location) : $0.name }
            ?? SourceName.derived(kind: status.kind, location: status.name)
        let stream = limits.makeStream(source: status)
        // Before the store: a --record path that cannot be written stops the start before a
        // store session is opened for nothing. The pipeline closes it.
        let recorder = try source.recordPath(for: name, several: several).map {
            try Recorder(path: $0, source: "\(status.name) baud \(status.baud.map(String.init) ?? "-")", logger: logger)
        }
        let history = try bridge.start({
            try storeOptions.startWriter(stream: stream, sourceName: source.storeName(location: location),
                                         isReplay: source.replay != nil, logger: logger)
        }, stop: { $0?.stop() })
        let monitor = LineMonitor()
        let pipeline = try bridge.start({
            IngestPipeline(
                stream: stream, recorder: recorder, monitor: monitor, forgetSeriesAfterMicros: source.forgetSeriesAfterMicros,
                timeColumn: source.columns.timeColumnChoice, counterColumn: source.columns.counterColumnChoice, logger: logger)
        }, stop: { $0.close() })
        let bytes: any ByteSource = if let replay = source.replay {
            ReplaySource(file: ReplayFile(path: replay, rawLineRate: source.rate), speed: source.speed, loop: source.loop, logger: logger)
        } else if let location, let network = SourceOptions.network(location) {
            switch network.transport {
            case .tcp: TCPSource(address: network, logger: logger)
            case .udp: UDPSource(address: network, logger: logger)
            }
        } else {
            SerialReader(path: location ?? "", baud: source.baud, logger: logger)
        }
        try bridge.start({ try bytes.start(into: pipeline) }, stop: { bytes.stop() })
        if let location, status.kind == .serial, let facts = USBDeviceFacts.lookUp(path: location) {
            logger.info("\(location) is \(facts)")
        }
        let sender = access.allowSend ? LineSender(target: bytes as? any LineTarget, kind: status.kind, monitor: monitor, logger: logger) : nil
        let publisher = try startPublisher(stream: stream, subtopic: several ? name : nil, before: bytes.stop, bridge: bridge, logger: logger)
        // A flood of skipped lines or refused sends that stopped is still reported, within a second.
        try bridge.start({
            let timer = DispatchSource.makeTimerSource(queue: .global())
            timer.schedule(deadline: .now() + 1, repeating: 1)
            timer.setEventHandler {
                pipeline.flushLog()
                sender?.flushLog()
            }
            timer.resume()
            return timer
        }, stop: { $0.cancel() })
        return GraphClients(stream: stream, sender: sender, monitor: monitor, brokerLinks: publisher.map { [$0.counters] } ?? [],
                            history: history, release: bytes as? any PortRelease, sourceName: name, gatherDelay: limits.gatherDelay)
    }

    /// `--source mqtt://…`: no device; another bridge's samples, through the broker and the
    /// same ingest path.
    private func relayClients(_ url: String, bridge: Bridge, logger: Logger) throws -> GraphClients {
        let address = try mqtt.address(url, option: "--source")
        let stream = limits.makeStream(source: MQTTRelay.sourceStatus(for: address))
        let history = try bridge.start({
            try storeOptions.startWriter(stream: stream, sourceName: address.displayed, isReplay: false, logger: logger)
        }, stop: { $0?.stop() })
        let pipeline = try bridge.start({ IngestPipeline(stream: stream, logger: logger) }, stop: { $0.close() })
        let relay = try bridge.start({
            let relay = MQTTRelay(
                pipeline: pipeline,
                connection: BrokerConnection(address: address, clientID: mqtt.clientID(role: "relay", alsoRelaying: mqtt.mqtt != nil),
                                             caFile: mqtt.mqttCa),
                logger: logger)
            try relay.start()
            return relay
        }, stop: { $0.stop() })
        let publisher = try startPublisher(stream: stream, subtopic: nil, before: relay.stop, bridge: bridge, logger: logger)
        return GraphClients(stream: stream, brokerLinks: [relay.counters] + (publisher.map { [$0.counters] } ?? []), history: history,
                            gatherDelay: limits.gatherDelay)
    }

    /// `--archive FILE`: no source; the page, history and export of a store.
    private func archiveClients(_ path: String) throws -> GraphClients {
        let store: HistoryStore
        do {
            store = try HistoryStore(path: path, readOnly: true)
        } catch {
            throw CommandError(error.description)
        }
        let stream = SensorStream(source: SourceStatus(kind: .archive, name: path, baud: nil), capacity: 16, historySeconds: 0)
        stream.updateSource(state: .finished, detail: "an archive: the history of \(path), no board")
        return GraphClients(stream: stream, history: StoreService(store: store, writer: nil))
    }

    /// `--mqtt URL`: the sink that publishes the stream, started before serving; one of
    /// several sources publishes under `subtopic` (its name) below the base.
    /// - Parameter before: stops the source first, though it started first: the publisher's
    ///   last read and farewell must come after the source's last sample (stopping twice is
    ///   harmless).
    private func startPublisher(stream: SensorStream, subtopic: String?, before stopSource: @escaping () -> Void, bridge: Bridge,
                                logger: Logger) throws -> MQTTPublisher? {
        try bridge.start({
            guard let url = mqtt.mqtt, let publisher = try mqtt.publisher(for: stream, subtopic: subtopic, logger: logger) else { return nil }
            try publisher.start()
            var address = try mqtt.address(url, option: "--mqtt")
            if let subtopic { address.base += "/" + subtopic }
            logger.info("publishing to \(address.displayed) (\(address.samplesTopic), \(address.channelsTopic), \(address.statusTopic))")
            return publisher
        }, stop: { publisher in
            stopSource()
            publisher?.stop()
        })
    }

    /// `--all`: every Arduino-class board plugged in, each a source (none: say what there is).
    private func everyBoard(logger: Logger) throws -> [SourceList.Entry] {
        let boards: [SerialDeviceInfo]
        switch DeviceChoice(devices: SerialDeviceScanner.scan()) {
        case .one(let board): boards = [board]
        case .several(let found): boards = found
        case .none(let found): throw CommandError("--all, and " + (DeviceChoice.none(found: found).explanation ?? ""), exitCode: 2)
        }
        logger.info("--all: serving \(boards.count) Arduino-class board\(boards.count == 1 ? "" : "s"): \(boards.map(\.preferredPath).joined(separator: ", "))")
        return try SourceList.parse(boards.map(\.preferredPath))
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
}
