import ArgumentParser
import Foundation
import SensorBridgeCore
import SensorBridgeStore

/// `sensorbridge import LOG... --store FILE`: old recordings become browsable history.
struct Import: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Put recordings (or raw captures) into a history store, with their recorded times.",
        discussion: "Each file becomes a session. Then: sensorbridge --archive FILE, or a bridge with --store FILE.")

    @Argument(help: "Recordings (--record) or raw captures.")
    var logs: [String]

    @Option(help: ArgumentHelp("The store to write (made when missing).", valueName: "file"))
    var store: String

    @Option(help: ArgumentHelp("The source the samples belong to (default: each file's name without its extension).", valueName: "name"))
    var source: String?

    @Option(help: "Lines per second of a raw capture (a file without time stamps); it is placed to end at the file's modification time.")
    var rate: Double = 50

    @OptionGroup var columns: BoardColumnOptions

    @Flag(help: "Store times to the µs, not the ms (a recording of a board faster than 1 kHz); about a byte a sample more.")
    var storeMicros = false

    func validate() throws {
        guard !logs.isEmpty else { throw ValidationError("give at least one recording to import") }
        guard rate >= 0.001, rate <= 10_000_000 else { throw ValidationError("--rate must be 0.001…10000000 lines a second") }
    }

    func run() throws {
        let history: HistoryStore
        do {
            history = try HistoryStore(path: store)
        } catch {
            FileHandle.standardError.write(Data("sensorbridge: \(error.description)\n".utf8))
            throw ExitCode(1)
        }
        for log in logs {
            let name = source ?? (((log as NSString).lastPathComponent as NSString).deletingPathExtension)
            let began = WallClock.monotonicMicros()
            do {
                let result = try history.importLog(path: log, sourceName: name.isEmpty ? "import" : name, rawLineRate: rate,
                                                   timeColumn: columns.timeColumnChoice, counterColumn: columns.counterColumnChoice,
                                                   timeUnitMicros: storeMicros ? 1 : 1_000)
                let seconds = Double(WallClock.monotonicMicros() - began) / 1e6
                var line = "imported \(log): \(result.samples) samples as source \(name) in \(String(format: "%.2f", seconds)) s"
                if let first = result.first, let last = result.last {
                    line += " (\(Self.iso(first)) to \(Self.iso(last)))"
                }
                if result.skippedLines > 0 { line += "; \(result.skippedLines) unreadable lines skipped" }
                if result.rejectedLines > 0 { line += "; \(result.rejectedLines) lines were no sample" }
                line += Self.columnsSummary(result)
                print(line)
            } catch {
                FileHandle.standardError.write(Data("sensorbridge: \(log): \((error as? StoreError)?.description ?? "\(error)")\n".utf8))
                throw ExitCode(1)
            }
        }
        history.checkpoint()
    }

    /// What the columns that are not series came to, in the live bridge's words: the board's
    /// clock, the line counter and the lines it says were lost, the names refused.
    static func columnsSummary(_ result: HistoryStore.ImportResult) -> String {
        var text = ""
        if let clock = result.clock {
            text += "; column '\(clock)' is the board's clock (\(result.clockUnit?.rawValue ?? "")): samples are timed by it"
        }
        if let refused = result.clockRefused {
            text += "; column '\(refused)' does not run like the board's clock: kept as a series (--time-column \(refused) takes it anyway)"
        }
        if let counter = result.counter {
            let lost = result.linesLost
            text += "; column '\(counter)' numbers the sketch's lines: \(lost) line\(lost == 1 ? "" : "s") lost on the wire"
        }
        if let refused = result.counterRefused {
            text += "; column '\(refused)' does not count the lines one by one: kept as a series (--counter-column \(refused) takes it anyway)"
        }
        return text
    }

    static func iso(_ micros: Int64) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.string(from: Date(timeIntervalSince1970: Double(micros) / 1e6))
    }
}
