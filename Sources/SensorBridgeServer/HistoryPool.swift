import Foundation

/// Threads for history requests: a query over a day or an export of a million samples
/// takes the disk's time, which must never be an event loop's. Two threads: a third
/// request waits its turn rather than taking the serial reader's core.
final class HistoryPool: Sendable {
    static let shared = HistoryPool(threads: 2)
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
