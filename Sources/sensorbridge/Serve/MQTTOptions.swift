import ArgumentParser
import Foundation
import Logging
import SensorBridgeMQTT
import SensorBridgeStream

/// Publishing to a broker (`--mqtt`), and how this bridge signs in to one (also as a relay).
struct MQTTOptions: ParsableArguments {
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

    @Option(help: ArgumentHelp("MQTT client id (default: sensorbridge-edge-HOSTNAME-PID, or -relay- for --source); each bridge on a broker needs its own.", valueName: "id"))
    var mqttClientId: String?

    @Flag(help: "With --mqtt: announce each channel to Home Assistant by MQTT discovery (retained configs under homeassistant/sensor/...), with the newest values once a second on <base>/state.")
    var homeassistant = false

    @Option(help: ArgumentHelp("Discovery prefix Home Assistant listens on.", valueName: "topic"))
    var homeassistantPrefix: String = "homeassistant"

    /// Read from `--mqtt-password-file` once, at start (`withPassword()`).
    private var password: String?

    func validate() throws {
        if let mqtt { _ = try address(mqtt, option: "--mqtt") }
        guard mqttRate >= 0.1, mqttRate <= 1000 else { throw ValidationError("--mqtt-rate must be 0.1…1000 batches a second") }
        if homeassistant, mqtt == nil { throw ValidationError("--homeassistant announces what --mqtt publishes: give --mqtt URL too") }
        if let problem = MQTTAddress.topicProblem(homeassistantPrefix) { throw ValidationError("--homeassistant-prefix: \(problem)") }
    }

    /// These options with the password file read.
    func withPassword() throws -> MQTTOptions {
        var options = self
        options.password = try mqttPasswordFile.map(Self.readPassword)
        return options
    }

    /// A broker address given as `option`, with the password from its file.
    func address(_ text: String, option: String) throws -> MQTTAddress {
        var address: MQTTAddress
        do {
            address = try MQTTAddress(parsing: text)
        } catch {
            throw ValidationError("\(option) \(error.description)")
        }
        if mqttPasswordFile != nil, address.username == nil {
            throw ValidationError("--mqtt-password-file needs a user name in the \(option) address: mqtt://USER@host/base")
        }
        address.password = password ?? address.password
        return address
    }

    /// - Parameter alsoRelaying: a bridge that relays and publishes needs two ids.
    func clientID(role: String, alsoRelaying: Bool = false) -> String {
        if let mqttClientId { return role == "relay" && alsoRelaying ? mqttClientId + "-relay" : mqttClientId }
        let host = ProcessInfo.processInfo.hostName.split(separator: ".").first.map(String.init) ?? "host"
        return "sensorbridge-\(role)-\(host)-\(getpid())"
    }

    /// `--mqtt URL`: the sink that publishes the stream, or nil without it. Not started.
    /// - Parameter subtopic: one of several sources publishes below the base, under its name.
    func publisher(for stream: SensorStream, subtopic: String? = nil, logger: Logger) throws -> MQTTPublisher? {
        guard let mqtt else { return nil }
        var address = try address(mqtt, option: "--mqtt")
        if let subtopic { address.base += "/" + subtopic }
        var settings = MQTTPublisher.Settings(connection: BrokerConnection(
            address: address, clientID: clientID(role: "edge") + (subtopic.map { "-" + $0 } ?? ""), caFile: mqttCa))
        settings.tickHertz = mqttRate
        settings.homeAssistantPrefix = homeassistant ? homeassistantPrefix : nil
        return MQTTPublisher(stream: stream, settings: settings, logger: logger)
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
}
