import ArgumentParser
import Foundation
import SensorBridgeCore
import SensorBridgeStore

/// `sensorbridge export --store FILE --from T --to T`: stored samples to standard output.
struct Export: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write a store's samples of a time range to standard output, as CSV or as a recording (--replay can play it).",
        discussion: "Times: ms since the epoch, ISO 8601 (2026-11-29T12:00:00Z), or relative: now, -1h, -15m.")

    @Option(help: ArgumentHelp("The store to read.", valueName: "file"))
    var store: String

    @Option(help: ArgumentHelp("The source (needed when the store holds several).", valueName: "name"))
    var source: String?

    @Option(help: ArgumentHelp("From this time (default: the first sample).", valueName: "time"))
    var from: String?

    @Option(help: ArgumentHelp("Up to this time (default: after the last sample).", valueName: "time"))
    var to: String?

    @Option(help: "csv or recording.")
    var format: String = "csv"

    func validate() throws {
        guard HistoryStore.ExportFormat(rawValue: format) != nil else { throw ValidationError("--format must be csv or recording") }
        let now = WallClock.nowMicros()
        for (name, value) in [("--from", from), ("--to", to)] {
            if let value, TimeArgument.micros(value, nowMicros: now) == nil {
                throw ValidationError("\(name) \(value) is not a time: give ms since the epoch, ISO 8601, or now, -1h, -15m")
            }
        }
    }

    func run() throws {
        let out = FileHandle.standardOutput
        do {
            let history = try HistoryStore(path: store, readOnly: true)
            let resolved = try history.resolveSource(source)
            let extent = try history.extent(source: resolved.id)
            let now = WallClock.nowMicros()
            let start = from.flatMap { TimeArgument.micros($0, nowMicros: now) } ?? extent?.first ?? now
            let end = to.flatMap { TimeArgument.micros($0, nowMicros: now) } ?? (extent?.last ?? now).addingSaturating(1)
            try history.export(source: resolved.name, from: start, to: end, format: HistoryStore.ExportFormat(rawValue: format)!) { bytes in
                try out.write(contentsOf: Data(bytes))
            }
        } catch let error as StoreError {
            FileHandle.standardError.write(Data("sensorbridge: \(error.description)\n".utf8))
            throw ExitCode(1)
        } catch {
            FileHandle.standardError.write(Data("sensorbridge: export failed: \(HistoryStore.describe(error))\n".utf8))
            throw ExitCode(1)
        }
    }
}
