import Foundation
import SensorBridgeCore
import SensorBridgeStream

/// The store behind the server's `/api/sessions`, `/api/history` and `/api/export`
/// (`HistoryService`): query parameters read and checked here, answers written as JSON.
public final class StoreService: HistoryService {
    public let store: HistoryStore
    private let writer: StoreWriter?
    var writerHandle: StoreWriter? { writer }

    public init(store: HistoryStore, writer: StoreWriter?) {
        self.store = store
        self.writer = writer
    }

    public var writerReport: StoreReport? { writer?.report }
    public var storePath: String { store.path }

    /// The most buckets one history request may ask for.
    public static let maxPoints = 20_000

    public func answer(path: String, query: [String: String], nowMicros: Int64) -> HistoryReply {
        do {
            switch path {
            case "/api/sessions": return try sessions(query)
            case "/api/history": return try history(query, now: nowMicros)
            case "/api/export": return try export(query, now: nowMicros)
            default: return .error(404, "no such history endpoint: \(path)")
            }
        } catch let error as RequestError {
            return .error(400, error.sentence)
        } catch let error as StoreError {
            return .error(404, error.description)
        } catch {
            return .error(503, "the store cannot answer now: \(HistoryStore.describe(error))")
        }
    }

    struct RequestError: Error { let sentence: String }

    private func time(_ query: [String: String], _ key: String, default fallback: Int64?, now: Int64) throws -> Int64 {
        guard let text = query[key] else {
            if let fallback { return fallback }
            throw RequestError(sentence: "\(key)= is missing: give a time (ms since the epoch, ISO 8601, or now/-1h/-15m)")
        }
        guard let micros = TimeArgument.micros(text, nowMicros: now) else {
            throw RequestError(sentence: "\(key)=\(text.shortened(toUTF8Bytes: 64)) is not a time: give ms since the epoch, ISO 8601 (2026-11-29T12:00:00Z), or now, -1h, -15m")
        }
        return micros
    }

    /// The range asked for; the source is resolved (a read of its own) only when a bound is
    /// left out and the store's extent must be looked up.
    private func range(_ query: [String: String], now: Int64) throws -> (Int64, Int64) {
        let extent = query["from"] == nil || query["to"] == nil
            ? try store.extent(source: store.resolveSource(query["source"]).id) : nil
        let from = try time(query, "from", default: extent?.first ?? now, now: now)
        let to = try time(query, "to", default: (extent?.last ?? now).addingSaturating(1), now: now)
        guard from < to else { throw RequestError(sentence: "from= must be before to=") }
        return (from, to)
    }

    private func sessions(_ query: [String: String]) throws -> HistoryReply {
        var out = Array("[".utf8)
        for (i, s) in try store.sessions(source: query["source"]).enumerated() {
            if i > 0 { out.append(UInt8(ascii: ",")) }
            out += Array("{\"id\":\(s.id),\"source\":".utf8)
            JSONText.appendString(s.source, to: &out)
            out += Array(",\"start\":".utf8)
            JSONText.appendMilliseconds(fromMicros: s.start, to: &out)
            out += Array(",\"end\":".utf8)
            JSONText.appendMilliseconds(fromMicros: s.end, to: &out)
            out += Array(",\"open\":\(s.open),\"kind\":\"\(s.kind)\",\"channels\":".utf8)
            JSONText.appendStringArray(s.channels, to: &out)
            out += Array(",\"samples\":\(s.samples)}".utf8)
        }
        out.append(UInt8(ascii: "]"))
        return .json(status: 200, body: out)
    }

    private func history(_ query: [String: String], now: Int64) throws -> HistoryReply {
        let (from, to) = try range(query, now: now)
        var points = 1000
        if let text = query["points"] {
            guard let n = Int(text), n >= 1, n <= StoreService.maxPoints else {
                throw RequestError(sentence: "points= must be a whole number from 1 to \(StoreService.maxPoints)")
            }
            points = n
        }
        let channels = query["channels"].map { $0.split(separator: ",").map(String.init) }
        // One read transaction: the source is resolved inside it.
        let history = try store.history(source: query["source"], from: from, to: to, points: points, channels: channels)
        return .json(status: 200, body: HistoryAnswerJSON.encode(source: history.source, from: from, to: to, history: history))
    }

    private func export(_ query: [String: String], now: Int64) throws -> HistoryReply {
        let source = try store.resolveSource(query["source"])
        let (from, to) = try range(query, now: now)
        let formatText = query["format"] ?? "csv"
        guard let format = HistoryStore.ExportFormat(rawValue: formatText) else {
            throw RequestError(sentence: "format= must be csv or recording")
        }
        let store = self.store
        let name = StoreFile.fileName(for: source.name)
        return .stream(
            contentType: format == .csv ? "text/csv; charset=utf-8" : "text/plain; charset=utf-8",
            fileName: "\(name).\(format == .csv ? "csv" : "log")",
            produce: { write in try store.export(source: source.name, from: from, to: to, format: format, write: write) })
    }
}

extension StoreService {
    /// Writes what is left and closes this run's session.
    public func stop() { writerHandle?.stop() }
}
