import Foundation

/// Threads for history requests: a query over a day or an export of a million samples
/// takes the disk's time, which must never be an event loop's. Two for queries and two for
/// exports (which last as long as their client reads): a third waits its turn rather than
/// taking the serial reader's core, and slow downloads never hold up the page's queries.
final class HistoryPool: Sendable {
    static let queries = HistoryPool(threads: 2)
    static let exports = HistoryPool(threads: 2)
    private let queue: DispatchQueue
    private let slots: DispatchSemaphore

    init(threads: Int) {
        queue = DispatchQueue(label: "history", attributes: .concurrent)
        slots = DispatchSemaphore(value: threads)
    }

    func run(_ work: @escaping @Sendable () -> Void) {
        queue.async { [slots] in
            slots.wait()
            defer { slots.signal() }
            work()
        }
    }
}
