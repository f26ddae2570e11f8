import ArgumentParser
import Dispatch
import Foundation
import Logging
import SensorBridgeCore
import SensorBridgeServer

/// The main job: read a device (or replay a log) and serve the page and the stream. Its
/// options come in groups, one per part; what involves two groups is checked here.
struct Serve: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Serve a serial device or a recorded log to browsers (the default command)."
    )

    @OptionGroup(title: "Source") var source: SourceOptions
    @OptionGroup(title: "Server") var server: ServerOptions
    @OptionGroup(title: "Who may watch and send") var access: AccessOptions
    @OptionGroup(title: "Limits") var limits: LimitOptions
    @OptionGroup(title: "MQTT") var mqtt: MQTTOptions
    @OptionGroup(title: "History") var storeOptions: StoreOptions

    func validate() throws {
        if source.archive != nil,
           source.record != nil || mqtt.mqtt != nil || access.allowSend || storeOptions.store != nil || storeOptions.storeMicros {
            throw ValidationError("--archive reads a store and writes no samples: --record, --mqtt, --allow-send, --store and --store-micros do not go with it")
        }
        if source.replay != nil, storeOptions.store == nil, storeOptions.storeMicros {
            throw ValidationError("a replay keeps no history unless given --store FILE: --store-micros needs it")
        }
        if let relay = source.source {
            if access.allowSend { throw ValidationError("--allow-send needs the board on this machine; a relay (--source) has none") }
            let address = try mqtt.address(relay, option: "--source")
            if let url = mqtt.mqtt, try mqtt.address(url, option: "--mqtt").sameStream(as: address) {
                throw ValidationError("--mqtt names the topic this relay reads (--source): it would read its own messages")
            }
        }
        if source.devices.count > 1, let store = storeOptions.store {
            throw ValidationError("--store \(store) holds one source's history; with several sources each keeps its own file (the default), or give --no-store")
        }
        if mqtt.mqttPasswordFile != nil, mqtt.mqtt == nil, source.source == nil {
            throw ValidationError("--mqtt-password-file goes with --mqtt or --source")
        }
    }

    func run() throws {
        let level = Logger.Level(rawValue: server.logLevel) ?? .info
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        let logger = Logger(label: "sensorbridge")
        let bridge = Bridge()
        do {
            let token = try access.loadToken()
            var serve = self
            serve.mqtt = try mqtt.withPassword()
            let sources = BridgeSources(try serve.assemble(into: bridge, logger: logger))
            let graphServer = try bridge.serve({ try serve.startServer(sources: sources, token: token, logger: logger) },
                                               stop: { $0.shutdown() })
            printBanner(sources: sources, port: graphServer.port, token: token)
        } catch let error as any UserFacingError {
            FileHandle.standardError.write(Data("sensorbridge: \(error.sentence)\n".utf8))
            throw ExitCode(error.exitStatus)
        }
        Self.waitForStopSignal()
        logger.info("shutting down: closing clients (1001 going away)")
        bridge.stop()
    }

    /// Returns on SIGINT, SIGTERM or SIGHUP: closing the terminal the bridge runs in must end
    /// it cleanly (recording flushed, clients told), not kill it.
    private static func waitForStopSignal() {
        let done = DispatchSemaphore(value: 0)
        let signals = [SIGINT, SIGTERM, SIGHUP].map { number -> DispatchSourceSignal in
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { done.signal() }
            source.resume()
            return source
        }
        done.wait()
        signals.forEach { $0.cancel() }
    }
}
