import Synchronization

/// A fixed-size history with one writer and any number of readers, each keeping its own
/// cursor (a sequence number). The writer never waits for a reader: a reader that falls
/// more than `capacity` behind finds its items overwritten, skips to the oldest one still
/// held and is told how many it missed. Memory is bounded by `capacity`, however slow the readers.
public final class HistoryRing<Element: Sendable>: Sendable {
    /// What one read returns.
    public struct Batch: Sendable {
        /// The items read, oldest first; their sequence numbers run from `first`.
        public var elements: [Element]
        /// The sequence number of `elements[0]` (or `next` when empty).
        public var first: UInt64
        /// Items that were overwritten before this reader got to them.
        public var missed: UInt64
        /// The cursor to pass to the next read.
        public var next: UInt64
    }

    private struct Storage {
        /// Grows to `capacity`, then each item replaces the oldest: memory is taken as the
        /// history fills, not all at start.
        var slots: [Element]
        var nextSequence: UInt64 = 0
    }

    public let capacity: Int
    private let storage: Mutex<Storage>

    public init(capacity: Int) {
        precondition(capacity > 0, "a ring needs room for at least one item")
        self.capacity = capacity
        self.storage = Mutex(Storage(slots: []))
    }

    /// Stores `element` and returns its sequence number. Overwrites the oldest item when full.
    @discardableResult
    public func append(_ element: Element) -> UInt64 {
        storage.withLock { storage in
            let sequence = storage.nextSequence
            if storage.slots.count < capacity {
                storage.slots.append(element)
            } else {
                storage.slots[Int(sequence % UInt64(capacity))] = element
            }
            storage.nextSequence = sequence + 1
            return sequence
        }
    }

    /// The sequence number the next appended item will get (= how many were ever appended).
    public var nextSequence: UInt64 { storage.withLock { $0.nextSequence } }

    /// The oldest sequence number still held.
    public var oldestSequence: UInt64 { storage.withLock { Self.oldest(in: $0, capacity: capacity) } }

    /// Reads up to `limit` items starting at `cursor`.
    public func read(from cursor: UInt64, limit: Int = .max) -> Batch {
        storage.withLock { storage in
            let oldest = Self.oldest(in: storage, capacity: capacity)
            let start = max(cursor, oldest)
            let missed = start - min(cursor, start)
            let end = min(storage.nextSequence, start &+ UInt64(max(0, limit)))
            guard start < end else {
                return Batch(elements: [], first: start, missed: missed, next: max(start, cursor))
            }
            var elements: [Element] = []
            elements.reserveCapacity(Int(end - start))
            for sequence in start..<end {
                elements.append(storage.slots[Int(sequence % UInt64(capacity))])
            }
            return Batch(elements: elements, first: start, missed: missed, next: end)
        }
    }

    /// The first held sequence number whose item satisfies `isAtOrAfter`, assuming the
    /// held items are ordered so that the predicate is false, then true (e.g. "time ≥ T").
    /// Returns `nextSequence` when no held item satisfies it.
    public func firstSequence(where isAtOrAfter: (Element) -> Bool) -> UInt64 {
        storage.withLock { storage in
            var low = Self.oldest(in: storage, capacity: capacity)
            var high = storage.nextSequence
            while low < high {
                let middle = low + (high - low) / 2
                if isAtOrAfter(storage.slots[Int(middle % UInt64(capacity))]) {
                    high = middle
                } else {
                    low = middle + 1
                }
            }
            return low
        }
    }

    private static func oldest(in storage: Storage, capacity: Int) -> UInt64 {
        storage.nextSequence > UInt64(capacity) ? storage.nextSequence - UInt64(capacity) : 0
    }
}
