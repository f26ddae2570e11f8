import Dispatch
import NIOCore
import Synchronization

/// Threads for history requests: a query over a day or an export of a million samples
/// takes the disk's time, which must never be an event loop's. Two for queries and two for
/// exports (which last as long as their client reads): a third waits its turn rather than
/// taking the serial reader's core, and slow downloads never hold up the page's queries.
/// At shutdown `drain` closes what is being exported and waits for the work to end, so
/// nothing is handed to an event loop that has gone.
final class HistoryPool: Sendable {
    static let queries = HistoryPool(threads: 2)
    static let exports = HistoryPool(threads: 2)

    private let queue: DispatchQueue
    private let slots: DispatchSemaphore
    private let running = DispatchGroup()
    private let closing = Atomic<Bool>(false)
    private let channels = Mutex<[ObjectIdentifier: any Channel]>([:])

    init(threads: Int) {
        queue = DispatchQueue(label: "history", attributes: .concurrent)
        slots = DispatchSemaphore(value: threads)
    }

    /// True once the server is shutting down: work still running stops at its next step.
    var isClosing: Bool { closing.load(ordering: .acquiring) }

    /// Runs `work` on one of the pool's threads; `channel` (if given) is closed at shutdown.
    func run(on channel: (any Channel)? = nil, _ work: @escaping @Sendable () -> Void) {
        guard !isClosing else {
            channel?.close(promise: nil)
            return
        }
        running.enter()
        let key = channel.map { ObjectIdentifier($0) }
        if let key, let channel { channels.withLock { $0[key] = channel } }
        queue.async { [self] in
            slots.wait()
            defer {
                slots.signal()
                if let key { channels.withLock { _ = $0.removeValue(forKey: key) } }
                running.leave()
            }
            work()
        }
    }

    /// Stops taking work, closes the channels being served, and waits (at most `seconds`)
    /// for the work under way to end.
    func drain(seconds: Double = 3) {
        closing.store(true, ordering: .releasing)
        for channel in channels.withLock({ Array($0.values) }) { channel.close(promise: nil) }
        _ = running.wait(timeout: .now() + seconds)
    }
}
