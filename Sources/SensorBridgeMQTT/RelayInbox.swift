import Dispatch
import Synchronization

/// Messages from the broker waiting to be read, handed from the thread that keeps the
/// broker's connection (and its keepalive) to the one that decodes them, so no message,
/// however large or many, can hold up the connection. Bounded in bytes and in messages:
/// past either, new messages are dropped and counted, never queued.
final class RelayInbox: Sendable {
    /// A message as it arrived: on which of the base's topics, and its bytes.
    struct Message: Sendable {
        var topic: String
        var payload: [UInt8]
    }

    private struct Queue {
        var messages: [Message] = []
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

    /// Queues `message`; false when it was dropped (the inbox is full).
    func push(_ message: Message) -> Bool {
        let (taken, wasEmpty) = queue.withLock { queue -> (Bool, Bool) in
            guard queue.messages.count < maxMessages, queue.bytes + message.payload.count <= maxBytes else { return (false, false) }
            let wasEmpty = queue.messages.isEmpty
            queue.messages.append(message)
            queue.bytes += message.payload.count
            return (true, wasEmpty)
        }
        if wasEmpty { ready.signal() }
        return taken
    }

    /// Waits up to `timeoutMillis` for messages and takes all there are (maybe none).
    func take(waitingUpTo timeoutMillis: Int) -> [Message] {
        if queue.withLock({ $0.messages.isEmpty }) {
            _ = ready.wait(timeout: .now() + .milliseconds(timeoutMillis))
        }
        return queue.withLock { queue in
            defer { queue = Queue() }
            return queue.messages
        }
    }
}
