import NIOCore
import SensorBridgeCore
import Synchronization

/// The graph clients living on one event loop, and the one wake-up that tells them all new
/// events are in the stream. The source's thread (once a read) only flips a flag and, if it
/// was clear, hands the loop one task: at once after a quiet spell, else the latency budget
/// ahead (`gatherDelay`, 8 ms unless `--gather` says otherwise; `WakeGathering`); it never touches a client, never waits, and a
/// burst of samples costs one task per loop and one write per client.
///
/// Clients are served in turns: a turn writes at most `samplesPerTurn` samples to at most
/// `clientsPerTurn` of the clients that want some, round-robin, and what is left waits for
/// the next turn, a task due `pauseBetweenTurns` later. Between two turns the loop does its I/O, so accepts and
/// handshakes are never starved by thousands of clients being served.
final class LoopFanout: Sendable {
    /// A few milliseconds of writes: a handshake waits for at most one turn.
    static let samplesPerTurn = 2048
    /// And at most this many clients: at 50 Hz a client owes one sample a wake-up, so the
    /// sample budget alone let a turn write to 2048 clients (tens of milliseconds) while
    /// connections waited to be accepted.
    static let clientsPerTurn = 256
    /// How long a wake-up gathers samples before the clients are served (unless it comes
    /// after a quiet spell, `WakeGathering`): the bridge's latency budget (`--gather`,
    /// `GraphClients.defaultGatherDelay`). Each client costs a write (a system call, and the
    /// receiving side's work in the kernel) per turn, so serving at once would mean a write
    /// per sample per client; 8 ms makes it one per eight at 1000 samples/s.
    let gatherDelay: TimeAmount
    /// Between two turns. NIO runs every task that is ready before it looks at sockets
    /// again, so a next turn queued at once would keep accepts and handshakes waiting until
    /// every client has been served; one due a moment later lets the loop do its I/O first.
    static let pauseBetweenTurns = TimeAmount.microseconds(200)

    let eventLoop: EventLoop
    /// Touched only on `eventLoop` (the boxes check).
    private let clients: NIOLoopBoundBox<[ObjectIdentifier: GraphClientHandler]>
    private let turns: NIOLoopBoundBox<Turns>
    /// The logs' chunks read this turn, shared by the clients at the same place.
    private let reads: NIOLoopBound<TurnReads>
    private let wakePending = Atomic<Bool>(false)
    /// When the source last woke this loop (monotonic µs; 0: never), for `WakeGathering`.
    /// Set by every wake-up, also those folded into one already pending: a loop that lags
    /// behind a fast source must not read its own lag as the source's silence.
    private let lastWakeMicros = Atomic<Int64>(0)

    /// Who waits for a turn, in order, and whether one is scheduled. A client marks itself
    /// queued, so a wake-up adds each client once without hashing it.
    private struct Turns {
        var waiting: [GraphClientHandler] = []
        var scheduled = false

        mutating func enqueue(_ client: GraphClientHandler) {
            guard !client.isQueued else { return }
            client.isQueued = true
            waiting.append(client)
        }
    }

    /// Made on `eventLoop` (by its first client).
    init(eventLoop: EventLoop, gatherDelay: TimeAmount) {
        self.eventLoop = eventLoop
        self.gatherDelay = gatherDelay
        self.clients = NIOLoopBoundBox([:], eventLoop: eventLoop)
        self.turns = NIOLoopBoundBox(Turns(), eventLoop: eventLoop)
        self.reads = NIOLoopBound(TurnReads(), eventLoop: eventLoop)
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

    /// Callable from any thread (the source's, once a read). Served after `gatherDelay`, or
    /// at once after a quiet spell (`WakeGathering`): one wake-up of the loop a sample at a
    /// low rate, not two.
    func wake() {
        let now = WallClock.monotonicMicros()
        let previous = lastWakeMicros.exchange(now, ordering: .relaxed)
        // Sequentially consistent with the ring's published end (`HistoryRing.nextSequence`):
        // a serve that clears the flag and then reads the ring, and a source that advances
        // the ring and then finds the flag set, cannot both miss each other.
        guard wakePending.compareExchange(expected: false, desired: true, ordering: .sequentiallyConsistent).exchanged
        else { return }
        let delay = WakeGathering.delayMicros(nowMicros: now, previousMicros: previous == 0 ? nil : previous,
                                              gatherMicros: gatherDelay.nanoseconds / 1000)
        let serve = {
            self.wakePending.store(false, ordering: .sequentiallyConsistent)
            for client in self.clients.value.values { self.turns.value.enqueue(client) }
            self.runTurn(catchingUp: true)
        }
        if delay == 0 { eventLoop.execute(serve) } else { eventLoop.scheduleTask(in: .microseconds(delay), serve) }
    }

    /// On the loop: `client` has something to send (it was just added, or can write again).
    /// Its turn encodes nothing new while a wake-up is pending: that wake-up's pass will.
    func requestTurn(for client: GraphClientHandler) {
        turns.value.enqueue(client)
        scheduleTurn(after: .zero)
    }

    private func scheduleTurn(after pause: TimeAmount) {
        guard !turns.value.scheduled else { return }
        turns.value.scheduled = true
        eventLoop.scheduleTask(in: pause) {
            self.turns.value.scheduled = false
            // With a wake-up pending, its pass encodes what came since, gathered. With none,
            // everything so far was in a pass that has run, so encoding cuts no gathering;
            // and it must: that pass may not have read every log (its budget, or a client
            // that could not take more then), and a silent source brings no other.
            self.runTurn(catchingUp: !self.wakePending.load(ordering: .sequentiallyConsistent))
        }
    }

    /// Serves the waiting clients in order until the budget is spent; those with more to
    /// send, and those not reached, wait for the next turn. A wake-up's pass
    /// (`catchingUp`) has the frame logs encode what came since; the turns after it, while
    /// another wake-up is pending, serve what was encoded, so one gathering stays one
    /// chunk (`FrameLog.read`).
    private func runTurn(catchingUp: Bool) {
        var budget = Self.samplesPerTurn
        let waiting = turns.value.waiting
        turns.value.waiting = []
        for client in waiting { client.isQueued = false }
        var served = 0
        var wantMore: [GraphClientHandler] = []
        let reads = self.reads.value
        reads.begin(catchingUp: catchingUp)
        defer { reads.begin(catchingUp: true) }
        for client in waiting {
            guard budget > 0, served < Self.clientsPerTurn else { break }
            served += 1
            if client.pump(budget: &budget, reads: reads) { wantMore.append(client) }
        }
        // Those not reached go first next time, then those that had some already.
        for client in waiting[served...] { turns.value.enqueue(client) }
        for client in wantMore { turns.value.enqueue(client) }
        if !turns.value.waiting.isEmpty { scheduleTurn(after: Self.pauseBetweenTurns) }
    }

    /// Runs `body` for every client, on the loop; completes when done.
    func forEachClient(_ body: @escaping @Sendable (GraphClientHandler) -> Void) -> EventLoopFuture<Void> {
        eventLoop.submit {
            for client in self.clients.value.values { body(client) }
        }
    }
}
