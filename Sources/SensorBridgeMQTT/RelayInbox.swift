import Dispatch
import Synchronization

/// Messages from the broker waiting to be read, handed from the thread that keeps the
/// broker's connection (and its keepalive) to the one that decodes them, so no message,
/// however large or many, can hold up the connection. Bounded in bytes and in messages:
/// past either, new messages are dropped and counted, never queued.
final class RelayInbox: Sendable {
    private struct Queue {
        var payloads: [[UInt8]] = []
        var bytes = 0
    }

    let maxBytes: Int
    let maxMessages: Int
    private let queue = Mutex(Queue())
    private let ready = DispatchSemaphore(value: 0)

    init(maxBytes: Int = 8 << 20, maxMessages: Int = 20_000) {
        self.maxBytes = maxBytes
        self.maxMessages = maxMessages
    }

    /// Queues `payload`; false when it was dropped (the inbox is full).
    func push(_ payload: [UInt8]) -> Bool {
        let (taken, wasEmpty) = queue.withLock { queue -> (Bool, Bool) in
            guard queue.payloads.count < maxMessages, queue.bytes + payload.count <= maxBytes else { return (false, false) }
            let wasEmpty = queue.payloads.isEmpty
            queue.payloads.append(payload)
            queue.bytes += payload.count
            return (true, wasEmpty)
        }
        if wasEmpty { ready.signal() }
        return taken
    }

    /// Waits up to `timeoutMillis` for messages and takes all there are (maybe none).
    func take(waitingUpTo timeoutMillis: Int) -> [[UInt8]] {
        if queue.withLock({ $0.payloads.isEmpty }) {
            _ = ready.wait(timeout: .now() + .milliseconds(timeoutMillis))
        }
        return queue.withLock { queue in
            defer { queue = Queue() }
            return queue.payloads
        }
    }
}
