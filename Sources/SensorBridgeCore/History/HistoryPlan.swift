/// How a history query over [from, to) in at most `points` buckets is answered: from the
/// samples themselves when buckets would be narrower than a second, otherwise from whole
/// summary cells, bucket by bucket, with only the ragged ends (the parts of the range that
/// do not fill a cell) read from finer cells and, below a second, from samples. Every
/// bucket is therefore exact, and a range of any length reads a few thousand rows.
public enum HistoryPlan: Equatable, Sendable {
    /// Read every sample in range; buckets of equal width (µs, at least 1).
    case samples(bucketMicros: Int64)
    /// Buckets `bucketMicros` wide aligned to the epoch, each made of cells of `level`.
    case cells(bucketMicros: Int64, level: Int)

    /// Bucket widths in seconds: each a whole number of some summary level.
    static let widthsSeconds: [Int64] = [1, 2, 5, 10, 20, 30, 60, 120, 300, 600, 1200, 1800, 3600, 7200, 10800, 21600, 43200, 86400]

    public static func choose(from: Int64, to: Int64, points: Int) -> HistoryPlan {
        let span = max(1, to.subtractingSaturating(from))
        let wanted = (span + Int64(max(1, points)) - 1) / Int64(max(1, points))
        guard wanted > 1_000_000 else { return .samples(bucketMicros: max(1, wanted)) }
        let seconds = (wanted + 999_999) / 1_000_000
        let width = widthsSeconds.first { $0 >= seconds }
            ?? ((seconds + 86_399) / 86_400).multipliedSaturating(by: 86_400)
        let micros = width.multipliedSaturating(by: 1_000_000)
        let level = SummaryLevel.widthsMicros.lastIndex { micros % $0 == 0 } ?? 0
        return .cells(bucketMicros: micros, level: level)
    }

    /// A part of a ragged end: one whole cell of a level, or samples read directly.
    public enum Piece: Equatable, Sendable {
        case cell(level: Int, start: Int64)
        case samples(from: Int64, to: Int64)
    }

    /// [from, to) as whole cells of levels up to `maxLevel`, coarsest first where they fit,
    /// and the sub-second remainders as samples.
    public static func pieces(from: Int64, to: Int64, maxLevel: Int) -> [Piece] {
        var pieces: [Piece] = []
        var cursor = from
        while cursor < to {
            var taken = false
            for level in stride(from: min(maxLevel, SummaryLevel.widthsMicros.count - 1), through: 0, by: -1) {
                let width = SummaryLevel.widthsMicros[level]
                if SummaryLevel.cellStart(cursor, level: level) == cursor, cursor.addingSaturating(width) <= to {
                    pieces.append(.cell(level: level, start: cursor))
                    cursor += width
                    taken = true
                    break
                }
            }
            if !taken {
                let nextSecond = SummaryLevel.cellStart(cursor, level: 0).addingSaturating(SummaryLevel.widthsMicros[0])
                let end = min(to, nextSecond)
                if case .samples(let a, let b)? = pieces.last, b == cursor {
                    pieces[pieces.count - 1] = .samples(from: a, to: end)
                } else {
                    pieces.append(.samples(from: cursor, to: end))
                }
                cursor = end
            }
        }
        return pieces
    }

    /// The start of the bucket of width `width` holding `time` (aligned to the epoch).
    @inline(__always) public static func bucketStart(_ time: Int64, width: Int64) -> Int64 {
        let q = time / width
        return (time % width < 0 ? q - 1 : q) * width
    }
}
