import ArgumentParser
import Foundation
import SensorBridgeCore
import SensorBridgeNetwork
import SensorBridgeSerial
import SensorBridgeStream

/// Where the samples come from: devices and boards on the network (or the one board plugged
/// in, or every one), a recorded log, a broker (a relay) or a store alone, and how lines are read.
struct SourceOptions: ParsableArguments {
    @Argument(help: ArgumentHelp(
        "Serial devices (/dev/ttyACM0, a /dev/serial/by-id/ link) or boards on the network: tcp://HOST:PORT (a board, ser2net or ESP-Link serving lines; reconnected with backoff) or udp://[ADDRESS]:PORT (listens; each datagram ends its line). Several are served side by side, each its own stream (/graph?source=NAME); NAME=DEVICE names one (default: the device's file name, e.g. ttyACM0). Without any: the one Arduino-class board plugged in.",
        valueName: "[name=]device"))
    var devices: [String] = []

    @Flag(help: "Serve every Arduino-class board plugged in, each as its own source.")
    var all = false

    @Option(help: "Baud rate of the serial devices; must match the sketch's Serial.begin().")
    var baud: Int = 9600

    @Option(help: ArgumentHelp("Replay a recorded log instead of reading a device.", valueName: "file"))
    var replay: String?

    @Option(help: "Replay speed: 1 is real time, 2 twice as fast, 0 as fast as possible.")
    var speed: Double = 1

    @Option(help: "Lines per second when replaying a raw capture (a log without time stamps).")
    var rate: Double = 50

    @Flag(help: "Replay the log over and over.")
    var loop = false

    @Option(help: ArgumentHelp("Also write what the device sends to a timestamped log (with several sources, one log each: FILE's name with -NAME added).", valueName: "file"))
    var record: String?

    @Option(help: ArgumentHelp(
        "Relay: serve the stream another bridge publishes to an MQTT broker (its --mqtt address) instead of reading a device, e.g. mqtt://broker/lab/bench1.",
        valueName: "url"))
    var source: String?

    @Option(help: ArgumentHelp(
        "Serve the page, history and export of this store with no board (e.g. yesterday's data copied from another machine).",
        valueName: "file"))
    var archive: String?

    @Option(help: ArgumentHelp(
        "When a sketch has used all 64 series, a label no line has carried for this long (e.g. 10m, 1h) gives its place to a new one.",
        valueName: "duration"))
    var forgetSeries: String = "10m"

    @OptionGroup var columns: BoardColumnOptions

    /// The devices as sources (checked by `validate`).
    var entries: [SourceList.Entry] { (try? SourceList.parse(devices)) ?? [] }

    /// A `tcp://` or `udp://` location, parsed (checked by `validate`).
    static func network(_ location: String) -> NetworkSourceAddress? {
        SourceList.kind(of: location) == .serial ? nil : try? NetworkSourceAddress(parsing: location)
    }

    func validate() throws {
        let entries = try SourceList.parse(devices)
        for entry in entries where SourceList.kind(of: entry.location) != .serial {
            do {
                _ = try NetworkSourceAddress(parsing: entry.location)
            } catch {
                throw ValidationError("\(entry.location.shortened(toUTF8Bytes: 200)): \(error.description)")
            }
        }
        let readsSerial = entries.isEmpty || entries.contains { SourceList.kind(of: $0.location) == .serial }
        if replay == nil, source == nil, readsSerial, let problem = BaudRate.problem(with: baud) {
            throw ValidationError(problem)
        }
        if all, !devices.isEmpty || replay != nil || source != nil || archive != nil {
            throw ValidationError("--all serves every Arduino-class board plugged in: give no DEVICE, --replay, --source or --archive with it")
        }
        if archive != nil, !devices.isEmpty || replay != nil || source != nil {
            throw ValidationError("--archive serves a store alone: give no DEVICE, --replay or --source with it")
        }
        if replay != nil, !devices.isEmpty {
            throw ValidationError("give either a DEVICE or --replay FILE, not both")
        }
        if source != nil {
            if replay != nil || !devices.isEmpty { throw ValidationError("give one source: a DEVICE, --replay FILE or --source URL") }
            if record != nil { throw ValidationError("--record writes what a device sends; a relay (--source) receives samples, not lines: record at the edge bridge") }
        }
        guard speed >= 0, speed.isFinite else { throw ValidationError("--speed must be 0 or more") }
        guard rate > 0, rate.isFinite else { throw ValidationError("--rate must be more than 0") }
        guard DurationText.seconds(forgetSeries).map({ $0 >= 1 }) == true else {
            throw ValidationError("--forget-series must be a duration of at least 1 s, such as 10m or 1h")
        }
        guard speed == 0 || (0.001...1_000_000).contains(speed) else {
            throw ValidationError("--speed must be 0 (as fast as possible) or 0.001…1000000")
        }
        guard rate >= 0.001, rate <= 10_000_000 else { throw ValidationError("--rate must be 0.001…10000000 lines a second") }
    }

    /// Whether more than one source may be served (then files and topics get each one's name).
    var mayBeSeveral: Bool { all || devices.count > 1 }

    /// How long an unseen label keeps its place (checked by `validate`).
    var forgetSeriesAfterMicros: Int64 { Int64(saturating: (DurationText.seconds(forgetSeries) ?? 600) * 1_000_000) }

    /// What the status calls a source before it has said anything.
    func status(location: String?) -> SourceStatus {
        if let replay { return SourceStatus(kind: .replay, name: replay, baud: nil) }
        if let location, let network = Self.network(location) {
            return SourceStatus(kind: network.sourceKind, name: network.displayed, baud: nil)
        }
        return SourceStatus(kind: .serial, name: location ?? "", baud: baud)
    }

    /// What the store calls a source: the device, the address's name, the replayed file's name.
    func storeName(location: String?) -> String {
        if let replay {
            let name = (replay as NSString).lastPathComponent
            return (name as NSString).deletingPathExtension.isEmpty ? name : (name as NSString).deletingPathExtension
        }
        if let location, let network = Self.network(location) {
            return SourceName.derived(kind: network.sourceKind, location: network.displayed)
        }
        return location ?? "serial"
    }

    /// `--record FILE` for the source `name`: FILE itself for one source, FILE with `-NAME`
    /// before its extension for each of several.
    func recordPath(for name: String, several: Bool) -> String? {
        guard let record else { return nil }
        guard several else { return record }
        let path = record as NSString
        let stem = path.deletingPathExtension
        return path.pathExtension.isEmpty ? "\(record)-\(name)" : "\(stem)-\(name).\(path.pathExtension)"
    }
}
