import Foundation
import GRDB
import SensorBridgeCore

/// Every stored sample of a range, in time order, as CSV or as a recording, handed on in
/// pieces of about 64 KiB: a day at 1 kHz is never built in memory.
extension HistoryStore {
    public enum ExportFormat: String, Sendable, CaseIterable {
        case csv, recording
    }

    /// Returns the samples written.
    @discardableResult
    public func export(source name: String?, from: Int64, to: Int64, format: ExportFormat,
                       write: ([UInt8]) throws -> Void) throws -> Int64 {
        let source = try resolveSource(name)
        let channels = try channels(source: source.id)
        var positions: [Int: Int] = [:]
        for (p, channel) in channels.enumerated() { positions[channel.id] = p }
        let names = channels.map(\.name)
        var out: [UInt8] = []
        out.reserveCapacity(80_000)
        var written: Int64 = 0
        var recordingStart: Int64?
        switch format {
        case .csv:
            out.append(contentsOf: "time".utf8)
            for name in names {
                out.append(UInt8(ascii: ","))
                out.append(contentsOf: csvField(name).utf8)
            }
            out.append(UInt8(ascii: "\n"))
        case .recording:
            break
        }
        var row = [Double](repeating: .nan, count: names.count)
        try pool.read { db in
            try forEachSample(db, source: source.id, from: from, to: to, positions: positions) { time, values, slots in
                for k in row.indices { row[k] = .nan }
                for (k, value) in values.enumerated() { if k < slots.count, let p = slots[k] { row[p] = value } }
                switch format {
                case .csv:
                    JSONText.appendMilliseconds(fromMicros: time, to: &out)
                    for value in row {
                        out.append(UInt8(ascii: ","))
                        if !value.isNaN { JSONText.appendNumber(value, to: &out) }
                    }
                case .recording:
                    if recordingStart == nil {
                        recordingStart = time
                        out.append(contentsOf: RecordingFormat.header(startedMicros: time, source: "\(source.name) (exported from the store)").utf8)
                    }
                    var line: [UInt8] = []
                    // Labelled (`x:512,z:620`): a missing value stays missing.
                    for (p, value) in row.enumerated() where !value.isNaN {
                        if !line.isEmpty { line.append(UInt8(ascii: ",")) }
                        line.append(contentsOf: names[p].utf8)
                        line.append(UInt8(ascii: ":"))
                        JSONText.appendNumber(value, to: &line)
                    }
                    out.append(contentsOf: RecordingFormat.entry(offsetMicros: time.subtractingSaturating(recordingStart!), line: line))
                }
                if format == .csv { out.append(UInt8(ascii: "\n")) }
                written += 1
                if out.count >= 64 * 1024 {
                    try write(out)
                    out.removeAll(keepingCapacity: true)
                }
            }
        }
        if !out.isEmpty { try write(out) }
        return written
    }

    private func csvField(_ name: String) -> String {
        name.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" }) ? "\"" + name.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : name
    }
}
