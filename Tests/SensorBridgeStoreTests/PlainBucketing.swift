@testable import SensorBridgeCore

/// The plain ways of filling buckets that the query's fast paths (`add(block:)`,
/// `add(encodedCell:)`, the lattice, `merge`) are checked against: a sample at a time, a
/// decoded cell at a time.
extension HistoryBuckets {
    /// One sample; `values[k]` belongs to channel position `positions[k]` (nil: not asked for).
    mutating func add(key: Int64, time: Int64, values: [Double], positions: [Int?]) {
        let b = slot(key)
        absorb(bucket: b, first: time, last: time, samples: 1)
        for (k, value) in values.enumerated() where !value.isNaN {
            guard k < positions.count, let p = positions[k] else { continue }
            absorb(bucket: b, position: p, count: 1, min: value, max: value, sum: value)
        }
    }

    /// A whole decoded cell; `positions` maps the store's channel numbers to positions.
    mutating func add(key: Int64, cell: SummaryCell, positions: [Int: Int]) {
        guard !cell.isEmpty else { return }
        let b = slot(key)
        absorb(bucket: b, first: cell.first, last: cell.last, samples: cell.samples)
        for (id, s) in cell.channels where s.count > 0 {
            guard let p = positions[id] else { continue }
            absorb(bucket: b, position: p, count: s.count, min: s.min, max: s.max, sum: s.sum)
        }
    }
}
