import ArgumentParser
import Foundation
import SensorBridgeCore
import SensorBridgeNetwork
import SensorBridgeSerial
import SensorBridgeStream

/// Where the samples come from: a device (or the one board plugged in), a recorded log, a
/// broker (a relay) or a store alone, and how its lines are read.
struct SourceOptions: ParsableArguments {
    @Argument(help: "The serial device, e.g. /dev/ttyACM0 or a /dev/serial/by-id/ link; or a board on the network: tcp://HOST:PORT (a board, ser2net or ESP-Link serving lines; reconnected with backoff) or udp://[ADDRESS]:PORT (listens; each datagram ends its line). Without it: the one Arduino-class board plugged in.")
    var device: String?

    @Option(help: "Baud rate of the device; must match the sketch's Serial.begin().")
    var baud: Int = 9600

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
        "Serve the page, history and export of this store with no board (e.g. yesterday's data copied from another machine).",
        valueName: "file"))
    var archive: String?

    @Option(help: ArgumentHelp(
        "When a sketch has used all 64 series, a label no line has carried for this long (e.g. 10m, 1h) gives its place to a new one.",
        valueName: "duration"))
    var forgetSeries: String = "10m"

    @OptionGroup var columns: BoardColumnOptions

    /// A `tcp://` or `udp://` DEVICE (checked by `validate`).
    var network: NetworkSourceAddress? {
        guard let device, device.hasPrefix("tcp:") || device.hasPrefix("udp:") else { return nil }
        return try? NetworkSourceAddress(parsing: device)
    }

    func validate() throws {
        if let device, device.hasPrefix("tcp:") || device.hasPrefix("udp:") {
            do {
                _ = try NetworkSourceAddress(parsing: device)
            } catch {
                throw ValidationError("\(device.shortened(toUTF8Bytes: 200)): \(error.description)")
            }
        }
        if replay == nil, source == nil, network == nil, let problem = BaudRate.problem(with: baud) {
            throw ValidationError(problem)
        }
        if archive != nil, device != nil || replay != nil || source != nil {
            throw ValidationError("--archive serves a store alone: give no DEVICE, --replay or --source with it")
        }
        if replay != nil, device != nil {
            throw ValidationError("give either a DEVICE or --replay FILE, not both")
        }
        if source != nil {
            if replay != nil || device != nil { throw ValidationError("give one source: a DEVICE, --replay FILE or --source URL") }
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

    /// How long an unseen label keeps its place (checked by `validate`).
    var forgetSeriesAfterMicros: Int64 { Int64(saturating: (DurationText.seconds(forgetSeries) ?? 600) * 1_000_000) }

    /// What the status calls the source before it has said anything.
    func status(device: String?) -> SourceStatus {
        if let replay { return SourceStatus(kind: .replay, name: replay, baud: nil) }
        if let network { return SourceStatus(kind: network.transport == .tcp ? .tcp : .udp, name: network.displayed, baud: nil) }
        return SourceStatus(kind: .serial, name: device ?? "", baud: baud)
    }

    /// What the store calls this source: the device, the replayed file's name.
    func storeName(device: String?) -> String {
        if let replay {
            let name = (replay as NSString).lastPathComponent
            return (name as NSString).deletingPathExtension.isEmpty ? name : (name as NSString).deletingPathExtension
        }
        if let network { return SourceName.derived(kind: network.transport == .tcp ? .tcp : .udp, location: network.displayed) }
        return device ?? "serial"
    }
}
