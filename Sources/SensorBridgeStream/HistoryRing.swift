import SensorBridgeCore
import Synchronization

/// A fixed-size history with one writer and any number of readers, each keeping its own
/// cursor (a sequence number). The writer never waits for a reader: a reader that falls
/// more than `capacity` behind finds its items overwritten, skips to the oldest one still
/// held and is told how many it missed. Memory is bounded by `capacity` items and by
/// `maxBytes` of their cost (items of a hostile size make it hold fewer), however slow the readers.
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
        /// history fills, not all at start. nil once dropped for the byte bound.
        var slots: [Element?]
        /// What each slot's item cost when stored (0 once dropped): read back when it goes,
        /// rather than asked of an item copied out of its slot.
        var costs: [Int] = []
        var nextSequence: UInt64 = 0
        /// The oldest sequence number still held.
        var oldest: UInt64 = 0
        /// The cost of the items held.
        var bytes = 0
    }

    public let capacity: Int
    /// The most the held items may cost (`cost`): big items make the ring hold fewer.
    public let maxBytes: Int
    private let cost: @Sendable (Element) -> Int
    private let storage: Mutex<Storage>
    /// `nextSequence` as last stored under the lock, for readers that only ask how far the
    /// ring goes (every client of every loop, after each write): without the lock the
    /// source's thread and the loops do not queue for it.
    private let published = Atomic<UInt64>(0)

    /// - Parameters:
    ///   - capacity: items held at most.
    ///   - maxBytes: the most the held items may cost together; the oldest go first, but the
    ///     newest item is always held.
    ///   - cost: what one item costs (its memory, roughly).
    public init(capacity: Int, maxBytes: Int = .max, cost: @escaping @Sendable (Element) -> Int = { _ in 0 }) {
        precondition(capacity > 0, "a ring needs room for at least one item")
        self.capacity = capacity
        self.maxBytes = maxBytes
        self.cost = cost
        self.storage = Mutex(Storage(slots: []))
    }

    /// Stores `element` and returns its sequence number. Overwrites the oldest item when
    /// full, and drops the oldest ones while the held items cost more than `maxBytes`.
    @discardableResult
    public func append(_ element: Element) -> UInt64 {
        storage.withLock { storage in
            let sequence = store(element, in: &storage)
            // Sequentially consistent: see `LoopFanout.wake`, whose flag is read after it.
            published.store(sequence + 1, ordering: .sequentiallyConsistent)
            return sequence
        }
    }

    /// Stores what `produce` hands to the function it is given, in order, under one lock,
    /// and makes them readable together: what a read of the source brought (thousands, in a
    /// replay) costs one lock, not one each. `produce` runs under the ring's lock: it must
    /// not use the ring, and readers wait for it, so it should only make the items.
    public func append(gathering produce: ((consuming Element) -> Void) -> Void) {
        storage.withLock { storage in
            produce { element in store(element, in: &storage) }
            published.store(storage.nextSequence, ordering: .sequentiallyConsistent)
        }
    }

    /// Taken, not copied: a copy of an item holding references costs a retain and a release each.
    private func store(_ element: consuming Element, in storage: inout Storage) -> UInt64 {
        let added = cost(element)
        let sequence = storage.nextSequence
        if storage.slots.count < capacity {
            storage.slots.append(element)
            storage.costs.append(added)
        } else {
            let index = Int(sequence % UInt64(capacity))
            storage.bytes -= storage.costs[index]
            storage.slots[index] = element
            storage.costs[index] = added
            storage.oldest = max(storage.oldest, sequence + 1 - UInt64(capacity))
        }
        storage.bytes += added
        storage.nextSequence = sequence + 1
        while storage.bytes > maxBytes, storage.oldest < sequence {
            let index = Int(storage.oldest % UInt64(capacity))
            storage.bytes -= storage.costs[index]
            storage.slots[index] = nil
            storage.costs[index] = 0
            storage.oldest += 1
        }
        return sequence
    }

    /// The sequence number the next appended item will get (= how many were ever appended).
    public var nextSequence: UInt64 { published.load(ordering: .sequentiallyConsistent) }

    /// The oldest sequence number still held.
    public var oldestSequence: UInt64 { storage.withLock { $0.oldest } }

    /// What the held items cost together.
    public var heldBytes: Int { storage.withLock { $0.bytes } }

    /// Whether the next appends will push out the oldest items (the ring is at its count, or
    /// within a sixteenth of its byte bound), and how many items it holds: read together.
    public var fullness: (isFull: Bool, held: UInt64) {
        storage.withLock { storage in
            let held = storage.nextSequence - storage.oldest
            return (held >= UInt64(capacity) || storage.bytes >= maxBytes - maxBytes / 16, held)
        }
    }

    /// Reads up to `limit` items starting at `cursor`.
    public func read(from cursor: UInt64, limit: Int = .max) -> Batch {
        storage.withLock { storage in
            let oldest = storage.oldest
            let start = max(cursor, oldest)
            let missed = start - min(cursor, start)
            let end = min(storage.nextSequence, start.addingSaturating(UInt64(max(0, limit))))
            guard start < end else {
                return Batch(elements: [], first: start, missed: missed, next: max(start, cursor))
            }
            var elements: [Element] = []
            elements.reserveCapacity(Int(end - start))
            for sequence in start..<end {
                elements.append(storage.slots[Int(sequence % UInt64(capacity))]!)  // held: never nil
            }
            return Batch(elements: elements, first: start, missed: missed, next: end)
        }
    }

    /// The first held sequence number whose item satisfies `isAtOrAfter`, assuming the
    /// held items are ordered so that the predicate is false, then true (e.g. "time ≥ T").
    /// Returns `nextSequence` when no held item satisfies it.
    public func firstSequence(where isAtOrAfter: (Element) -> Bool) -> UInt64 {
        storage.withLock { storage in
            var low = storage.oldest
            var high = storage.nextSequence
            while low < high {
                let middle = low + (high - low) / 2
                if isAtOrAfter(storage.slots[Int(middle % UInt64(capacity))]!) {
                    high = middle
                } else {
                    low = middle + 1
                }
            }
            return low
        }
    }
}
