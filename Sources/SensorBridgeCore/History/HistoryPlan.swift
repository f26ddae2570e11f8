/// How a history query over [from, to) in at most `points` buckets is answered: from the
/// samples themselves when buckets would be narrower than the finest cells (or the range
/// holds few samples), otherwise from whole summary cells, bucket by bucket, with only the
/// ragged ends (the parts of the range that do not fill a cell) read from finer cells and,
/// below a second, from samples. Every bucket is therefore exact, and a range of any length
/// reads a few thousand rows.
public enum HistoryPlan: Equatable, Sendable {
    /// Read every sample in range; buckets of equal width (µs, at least 1).
    case samples(bucketMicros: Int64)
    /// Buckets of 250 or 500 ms: each second from its level-0 (250 ms) cells where they are
    /// all there, otherwise from its samples.
    case fine(bucketMicros: Int64)
    /// Buckets `bucketMicros` wide (whole seconds) aligned to the epoch, each made of cells
    /// of `level` (1 s or coarser).
    case cells(bucketMicros: Int64, level: Int)

    /// Bucket widths in µs: each a whole number of some summary level.
    static let widthsMicros: [Int64] = [250_000, 500_000] + [1, 2, 5, 10, 20, 30, 60, 120, 300, 600, 1200, 1800, 3600, 7200, 10800, 21600, 43200, 86400].map { $0 * 1_000_000 }
    /// A range holding at most this many samples is answered from the samples themselves.
    public static let samplesLimit = 200_000

    /// - Parameter samples: about how many samples the range holds (nil: unknown, many).
    public static func choose(from: Int64, to: Int64, points: Int, samples: Int? = nil) -> HistoryPlan {
        let span = max(1, to.subtractingSaturating(from))
        let count = Int64(max(1, points))
        let wanted = span / count + (span % count == 0 ? 0 : 1)
        if wanted < widthsMicros[0] || (samples ?? .max) <= samplesLimit {
            return .samples(bucketMicros: max(1, wanted))
        }
        let width = widthsMicros.first { $0 >= wanted }
            ?? (wanted.addingSaturating(86_399_999_999) / 86_400_000_000).multipliedSaturating(by: 86_400_000_000)
        guard width >= 1_000_000 else { return .fine(bucketMicros: width) }
        let level = SummaryLevel.widthsMicros.lastIndex { width % $0 == 0 } ?? 1
        return .cells(bucketMicros: width, level: max(1, level))
    }

    /// A part of a ragged end: a run of whole cells of one level, or samples read directly.
    public enum Piece: Equatable, Sendable {
        /// The cells of `level` starting in [from, to).
        case cells(level: Int, from: Int64, to: Int64)
        case samples(from: Int64, to: Int64)
    }

    /// [from, to) as runs of whole cells of levels 1 (a second) up to `maxLevel`, coarsest
    /// where they fit, and the sub-second remainders as samples. At most two runs a level,
    /// however long the range: a run is one range of the index, never a row at a time.
    public static func pieces(from: Int64, to: Int64, maxLevel: Int) -> [Piece] {
        let top = min(maxLevel, SummaryLevel.widthsMicros.count - 1)
        func fits(_ level: Int, at time: Int64) -> Bool {
            SummaryLevel.cellStart(time, level: level) == time && to.subtractingSaturating(time) >= SummaryLevel.widthsMicros[level]
        }
        var pieces: [Piece] = []
        var cursor = from
        while cursor < to {
            guard let level = stride(from: top, through: 1, by: -1).first(where: { fits($0, at: cursor) }) else {
                // The next second's boundary (not this second's start + 1 s: at Int64.min that
                // start saturates, and the boundary after the cut-short first second is nearer).
                let nextSecond = SummaryLevel.cellStart(cursor.addingSaturating(SummaryLevel.widthsMicros[1]), level: 1)
                let end = nextSecond > cursor ? min(to, nextSecond) : to
                if case .samples(let a, let b)? = pieces.last, b == cursor {
                    pieces[pieces.count - 1] = .samples(from: a, to: end)
                } else {
                    pieces.append(.samples(from: cursor, to: end))
                }
                cursor = end
                continue
            }
            // Cells of this level up to where a coarser one starts and fits, or to the end.
            let width = SummaryLevel.widthsMicros[level]
            var end = bucketStart(to, width: width)
            if level < top {
                let up = bucketStart(cursor.addingSaturating(SummaryLevel.widthsMicros[level + 1] - 1), width: SummaryLevel.widthsMicros[level + 1])
                if up < end, fits(level + 1, at: up) { end = up }
            }
            pieces.append(.cells(level: level, from: cursor, to: end))
            cursor = end
        }
        return pieces
    }

    /// The start of the bucket of width `width` holding `time` (aligned to the epoch).
    @inline(__always) public static func bucketStart(_ time: Int64, width: Int64) -> Int64 {
        let q = time / width
        return (time % width < 0 ? q - 1 : q).multipliedSaturating(by: width)  // times read from a file may be anything
    }
}
