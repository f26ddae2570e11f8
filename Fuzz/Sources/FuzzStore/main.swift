// What the history store reads back from its file and from a client, one per value of the
// first byte (mod 4):
//   0  SampleBlock(decoding:) and SummaryCell(decoding:start:/decodingVersion1:) of any bytes (a torn or edited file):
//      never a trap, and what decodes re-encodes to a block that decodes the same
//   1  bytes read as times and values (vibrations too, and times of whole ms, so predicted
//      columns and ms times are made) → SampleBlock.encoded() → decoded: bit for bit the same;
//      decoded up to a time with some columns (as a query does, versions 3 and 2): the block cut
//   2  TimeArgument.micros (`from=`, `to=`, `--from`): never a trap; a number it accepts lies
//      in years 0…9999 or is the relative time it says
//   3  HistoryPlan.choose and pieces on any range: runs of whole cells (a second or coarser,
//      two a level at most) and sub-second samples that cover the range exactly once
import FuzzSupport
import SensorBridgeCore

private func reader(_ body: ArraySlice<UInt8>) -> (next: () -> UInt64, left: () -> Int) {
    var rest = body
    return ({
        var value: UInt64 = 0
        for shift in stride(from: 0, to: 64, by: 8) { value |= UInt64(rest.popFirst() ?? 0) << UInt64(shift) }
        return value
    }, { rest.count })
}

private extension Double {
    /// sin without Foundation (this target links none): a Bhaskara-style curve is smooth enough.
    var sinApproximation: Double {
        var x = self.truncatingRemainder(dividingBy: 2 * .pi)
        if x < 0 { x += 2 * .pi }
        let sign: Double = x > .pi ? -1 : 1
        if x > .pi { x -= .pi }
        return sign * 16 * x * (.pi - x) / (5 * .pi * .pi - 4 * x * (.pi - x))
    }
}

private func decodeAnything(_ body: ArraySlice<UInt8>) {
    let bytes = Array(body)
    if let block = try? SampleBlock(decoding: bytes) {
        Fuzz.check(block.columns.allSatisfy { $0.count == block.count }, "a column of another length than the times")
        let again = try? SampleBlock(decoding: block.encoded())
        Fuzz.check(again == block, "a decoded block does not survive encoding")
    }
    // Read as a query would: never a trap, columns as long as the times or left out.
    let end = Int64(bitPattern: UInt64(bytes.last ?? 0) << 8)
    if let cut = try? SampleBlock(decoding: bytes, before: end, columns: [true, false, true]) {
        Fuzz.check(cut.columns.allSatisfy { $0.count == cut.count || $0.isEmpty }, "a column cut to another length than the times")
    }
    let start = Int64(bitPattern: UInt64(bytes.first ?? 0) << 56 | UInt64(bytes.count))
    if let cell = try? SummaryCell(decoding: bytes, start: start) {
        // Compared as bytes: a torn file may hold NaN in a min or max, which == would not match.
        let encoded = cell.encoded(start: start)
        Fuzz.check((try? SummaryCell(decoding: encoded, start: start))?.encoded(start: start) == encoded, "a decoded cell does not survive encoding")
    }
    if let cell = try? SummaryCell(decodingVersion1: bytes) {
        let encoded = cell.encoded(start: start)
        Fuzz.check((try? SummaryCell(decoding: encoded, start: start))?.encoded(start: start) == encoded, "an upgraded cell does not survive encoding")
    }
}

private func roundTrip(_ body: ArraySlice<UInt8>) {
    let (next, left) = reader(body)
    let count = Int(next() % 300) + 1
    let channels = Int(next() % 5)
    let mode = next()
    var times: [Int64] = []
    let inMs = mode >> 63 != 0  // times of whole ms, which the block writes in ms
    for _ in 0..<count {
        let t = Int64(bitPattern: left() > 0 ? next() : 0)
        times.append(inMs ? t / 1000 * 1000 : t)
    }
    var columns: [[Double]] = []
    for c in 0..<channels {
        var column: [Double] = []
        for _ in 0..<count {
            let raw = left() > 0 ? next() : 0
            switch ((mode >> UInt64(c * 3)) & 7) % 5 {
            case 0: column.append(Double(Int64(bitPattern: raw) % 4096))  // ADC counts
            case 1: column.append(Double(Int64(bitPattern: raw) % 1_000_000) / 100)  // decimals
            case 2: column.append(Double(bitPattern: raw))  // anything, NaN and infinities too
            case 3: column.append(raw % 3 == 0 ? .nan : Double(raw % 1000))
            default:  // a vibration with a little noise: what the predictor is chosen for
                let i = Double(column.count)
                column.append((512 + 300 * (i * Double(raw >> 60 | 1) * 0.01).sinApproximation).rounded() + Double(raw % 5))
            }
        }
        columns.append(column)
    }
    let block = SampleBlock(times: times, columns: columns)
    let encoded = block.encoded()
    let decoded = try? SampleBlock(decoding: encoded)
    Fuzz.check(decoded == block, "a block does not come back bit for bit")
    // As a query reads it: the samples up to the last before a time, some columns; from this
    // version's blob and an earlier bridge's.
    let end = times.isEmpty ? 0 : times[Int((mode >> 40) % UInt64(times.count))] &+ Int64((mode >> 50) & 3) &- 1
    let wanted = (0..<channels).map { mode >> UInt64(32 + $0) & 1 == 1 }
    let kept = (times.lastIndex { $0 < end } ?? -1) + 1
    let expected = SampleBlock(times: Array(times.prefix(kept)),
                               columns: columns.enumerated().map { wanted[$0.offset] ? Array($0.element.prefix(kept)) : [] })
    for blob in [encoded, block.encoded(version: 2)] {
        let cut = try? SampleBlock(decoding: blob, before: end, columns: wanted)
        Fuzz.check(cut == expected, "a block read up to \(end) is not the block cut there")
    }
}

private func timeArgument(_ body: ArraySlice<UInt8>) {
    let text = String(decoding: body, as: UTF8.self)
    let now: Int64 = 1_764_417_600_000_000
    guard let micros = TimeArgument.micros(text, nowMicros: now) else { return }
    if text.hasPrefix("-") || text.hasPrefix("now") {
        Fuzz.check(micros <= now, "\(text) is after now")
    } else {
        Fuzz.check(micros >= -62_167_219_200_000_000 - 86_400_000_000 && micros <= 253_402_300_800_000_000 + 86_400_000_000,
                   "\(text) → \(micros) outside years 0…9999")
    }
}

private func plan(_ body: ArraySlice<UInt8>) {
    let (next, _) = reader(body)
    let from = Int64(bitPattern: next()) >> Int64(next() % 64)
    let to = from.addingSaturating(Int64(next() % 400_000_000_000))
    let points = Int(next() % 30_000) + 1
    let samples = next() % 2 == 0 ? nil : Int(next() % 1_000_000)
    switch HistoryPlan.choose(from: from, to: to, points: points, samples: samples) {
    case .samples(let width):
        Fuzz.check(width >= 1, "sample buckets \(width) µs wide")
        Fuzz.check(width < SummaryLevel.widthsMicros[0] || (samples ?? .max) <= HistoryPlan.samplesLimit, "samples read for a range that has cells")
    case .fine(let width):
        Fuzz.check(width < 1_000_000 && width % SummaryLevel.widthsMicros[0] == 0, "fine buckets \(width) µs wide")
    case .cells(let width, let level):
        Fuzz.check(width % SummaryLevel.widthsMicros[level] == 0, "buckets of \(width) µs are not cells of level \(level)")
        var cursor = from
        let pieces = HistoryPlan.pieces(from: from, to: to, maxLevel: level)
        Fuzz.check(pieces.count <= 2 * level + 3, "\(pieces.count) pieces at level \(level)")
        for piece in pieces {
            switch piece {
            case .cells(let l, let start, let end):
                // Cells start on their level's boundaries; the one holding Int64.min starts there,
                // cut short by the number range (the writer files such a sample under it too).
                Fuzz.check(start == cursor && end > start && l >= 1 && l <= level && SummaryLevel.cellStart(start, level: l) == start
                           && SummaryLevel.cellStart(end, level: l) == end, "cells \(start)..<\(end) of level \(l) out of place")
                cursor = end
            case .samples(let a, let b):
                Fuzz.check(a == cursor && b > a && b - a < 2_000_000, "samples \(a)..<\(b) out of place")
                cursor = b
            }
        }
        Fuzz.check(cursor == to, "the pieces end at \(cursor), not \(to)")
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func FuzzStore(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    let input = FuzzInput(start, count, headerCount: 1)
    switch input.header[0] % 4 {
    case 0: decodeAnything(input.body)
    case 1: roundTrip(input.body)
    case 2: timeArgument(input.body)
    default: plan(input.body)
    }
    return 0
}
