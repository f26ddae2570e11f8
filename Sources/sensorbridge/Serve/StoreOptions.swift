import ArgumentParser
import Foundation
import Logging
import SensorBridgeCore
import SensorBridgeStore
import SensorBridgeStream

/// The history store's options (`--store`, `--no-store`, `--keep`, `--keep-size`,
/// `--store-micros`) and how a serving bridge starts its writer.
struct StoreOptions: ParsableArguments {
    @Option(help: ArgumentHelp(
        "Keep every sample in this SQLite file (default: $XDG_STATE_HOME/sensorbridge/<source>.sqlite, ~/.local/state/... without it; a replay keeps none unless given this). The page scrolls back through it; /api/history and /api/export read it.",
        valueName: "file"))
    var store: String?

    @Flag(help: "Keep no history on disk (the page then holds only what it received).")
    var noStore = false

    @Option(help: ArgumentHelp("Keep samples this long (e.g. 7d, 12h, 30d); summaries of a minute and coarser are kept ten times as long.", valueName: "duration"))
    var keep: String = "7d"

    @Flag(help: "Store times to the µs, not the ms (a board that times its own samples faster than 1 kHz); about a byte a sample more.")
    var storeMicros = false

    @Option(help: ArgumentHelp("The most the store's file may hold (e.g. 500M, 10G): the oldest samples go first.", valueName: "size"))
    var keepSize: String?

    func validate() throws {
        if store != nil, noStore { throw ValidationError("give either --store FILE or --no-store, not both") }
        if storeMicros, noStore { throw ValidationError("--store-micros is for a store: it does not go with --no-store") }
        guard let seconds = DurationText.seconds(keep), seconds >= 60 else {
            throw ValidationError("--keep must be a duration of at least a minute, such as 7d or 12h")
        }
        _ = seconds
        if let keepSize {
            guard let bytes = ByteSizeText.bytes(keepSize), bytes >= 1 << 20 else {
                throw ValidationError("--keep-size must be a size of at least 1M, such as 500M or 10G")
            }
        }
    }

    var settingsKeepMicros: Int64 { Int64(saturating: (DurationText.seconds(keep) ?? 604_800) * 1_000_000) }

    /// Opens the store and starts its writer for `stream`, or nil when there is to be none
    /// (`--no-store`; a replay without `--store`; the default file held by another bridge,
    /// with a warning). A file given with `--store` that cannot be used stops the start.
    func startWriter(stream: SensorStream, sourceName: String, isReplay: Bool, logger: Logger) throws -> StoreService? {
        if noStore || (isReplay && store == nil) { return nil }
        let path = store ?? StoreFile.defaultPath(sourceName: sourceName)
        let history: HistoryStore
        do {
            history = try HistoryStore(path: path)
        } catch {
            guard store == nil, StoreFile.refusal(path: path) == nil else { throw CommandError(error.description) }
            logger.warning("keeping no history: \(error.description)")
            return nil
        }
        var settings = StoreWriter.Settings(sourceName: sourceName)
        settings.keepMicros = settingsKeepMicros
        settings.keepSummariesMicros = settingsKeepMicros.multipliedSaturating(by: 10)
        settings.maxBytes = keepSize.flatMap(ByteSizeText.bytes).map(Int64.init)
        settings.timeUnitMicros = storeMicros ? 1 : 1_000
        let writer: StoreWriter
        do {
            writer = try StoreWriter(store: history, stream: stream, settings: settings, logger: logger)
        } catch {
            throw CommandError(error.description)
        }
        writer.start()
        logger.info("keeping the history in \(path) (samples for \(keep)\(keepSize.map { ", at most \($0)" } ?? ""); --no-store for none)")
        return StoreService(store: history, writer: writer)
    }
}
