import Foundation
import SensorBridgeCore
import Synchronization

/// Where a source delivers: the bytes it read, stamped with their arrival, and its changes
/// of state. `IngestPipeline` is the one the bridge uses.
public protocol ByteSink: Sendable {
    func ingest(_ bytes: ArraySlice<UInt8>, receivedMicros: Int64)
    func sourceChanged(_ state: SourceStatus.State, detail: String)
}

/// Something that produces the stream's bytes on a thread of its own: a serial device, a
/// replayed log. Both share `SourceThread`, so starting and stopping work the same way.
public protocol ByteSource: Sendable {
    /// Checks what can be checked now (the device opens, the file is readable), throwing a
    /// sentence for the user if not, then delivers into `sink` until stopped.
    func start(into sink: any ByteSink) throws
    /// Stops delivering; returns when the source's thread has ended.
    func stop()
}

/// The thread a source reads on: a blocking loop must never sit on the Swift concurrency
/// pool or an event loop. `stop()` raises a flag, lets the source interrupt its wait, and
/// waits for the thread to end.
public final class SourceThread: Sendable {
    private let stopping = Atomic<Bool>(false)
    private let running = Atomic<Bool>(false)
    private let finished = DispatchSemaphore(value: 0)
    /// Signalled by `stop()`, so a thread sleeping in `sleep(untilMonotonicMicros:)` wakes at
    /// once rather than polling the flag (each poll is a wake-up of an idle thread).
    private let stopSignal = DispatchSemaphore(value: 0)

    public init() {}

    public func start(name: String, _ body: @escaping @Sendable () -> Void) {
        running.store(true, ordering: .releasing)
        let thread = Thread { [self] in
            body()
            finished.signal()
        }
        thread.name = name
        thread.start()
    }

    public var isStopping: Bool { stopping.load(ordering: .acquiring) }

    /// - Parameter interrupt: wakes the body from whatever it waits on (e.g. a pipe write).
    public func stop(interrupt: () -> Void = {}) {
        stopping.store(true, ordering: .releasing)
        stopSignal.signal()
        interrupt()
        if running.exchange(false, ordering: .acquiringAndReleasing) { finished.wait() }
    }

    /// Sleeps until the monotonic clock reads `deadline`, or until `stop()`.
    public func sleep(untilMonotonicMicros deadline: Int64) {
        while !isStopping {
            let left = deadline.subtractingSaturating(WallClock.monotonicMicros())
            guard left > 0 else { return }
            // The signal is kept once given, so every later sleep of a stopping thread ends at once.
            if stopSignal.wait(timeout: .now() + .microseconds(Int(min(left, 3_600_000_000)))) == .success {
                stopSignal.signal()
            }
        }
    }
}

/// Why a source or the recorder cannot start or go on, as one sentence for the user.
public struct SourceError: UserFacingError {
    public let description: String

    public init(_ description: String) { self.description = description }
}
