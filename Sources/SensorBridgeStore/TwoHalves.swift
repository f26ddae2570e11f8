import Dispatch
import Synchronization

/// Work on a query's blocks (or an answer's buckets) split in two and done on two threads at
/// once: decoding, bucketing and printing a minute at 1 kHz is all of that query's time, and
/// the machine's other core is usually idle while a viewer waits for it. A hand-over costs
/// about 10 µs here (a block's decoding about 80 µs); below `minimum` items one thread does
/// it all.
enum TwoHalves {
    static func run<T: Sendable>(_ count: Int, minimum: Int = 2, _ body: @Sendable (Range<Int>) throws -> T) throws -> [T] {
        guard count >= minimum else { return [try body(0..<count)] }
        let middle = count / 2
        let halves = [0..<middle, middle..<count]
        let results = Mutex<[Result<T, any Error>?]>([nil, nil])
        DispatchQueue.concurrentPerform(iterations: 2) { k in
            let result = Result { try body(halves[k]) }
            results.withLock { $0[k] = result }
        }
        return try results.withLock { $0 }.map { try $0!.get() }
    }
}
