import NIOCore
import SensorBridgeCore
import Synchronization

/// The graph clients living on one event loop, and the one wake-up that tells them all new
/// samples are in the ring. The serial thread only flips a flag and, if it was clear,
/// schedules one task; it never touches a client, never waits, and a burst of samples
/// costs one task per loop, not one per sample per client.
final class LoopFanout: Sendable {
    let eventLoop: EventLoop
    /// Touched only on `eventLoop` (the box checks).
    private let clients: NIOLoopBoundBox<[ObjectIdentifier: GraphClientHandler]>
    private let wakePending = Atomic<Bool>(false)

    /// Made on `eventLoop` (by its first client).
    init(eventLoop: EventLoop) {
        self.eventLoop = eventLoop
        self.clients = NIOLoopBoundBox([:], eventLoop: eventLoop)
        // Stalled clients are looked for once a second; the task ends with the loop.
        eventLoop.scheduleRepeatedTask(initialDelay: .seconds(1), delay: .seconds(1)) { [weak self] _ in
            guard let self else { return }
            let now = WallClock.nowMicros()
            for client in self.clients.value.values { client.evictIfStalled(nowMicros: now) }
        }
    }

    func add(_ client: GraphClientHandler) {
        clients.value[ObjectIdentifier(client)] = client
    }

    func remove(_ client: GraphClientHandler) {
        clients.value[ObjectIdentifier(client)] = nil
    }

    /// Callable from any thread.
    func wake() {
        guard wakePending.compareExchange(expected: false, desired: true, ordering: .acquiringAndReleasing).exchanged
        else { return }
        eventLoop.execute {
            self.wakePending.store(false, ordering: .releasing)
            for client in self.clients.value.values { client.pump() }
        }
    }

    /// Runs `body` for every client, on the loop; completes when done.
    func forEachClient(_ body: @escaping @Sendable (GraphClientHandler) -> Void) -> EventLoopFuture<Void> {
        eventLoop.submit {
            for client in self.clients.value.values { body(client) }
        }
    }
}
