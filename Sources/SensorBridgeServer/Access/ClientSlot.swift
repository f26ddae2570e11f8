import Synchronization

/// The graph clients admitted, against `--max-clients`. A slot is taken before the handshake
/// is answered (so a client past the cap gets 503, not 101 and then a close) and given back
/// exactly once, when the client goes or when its handshake never completes.
public final class ClientSlots: Sendable {
    let limit: Int
    private let taken = Atomic<Int>(0)

    public init(limit: Int) { self.limit = limit }

    var count: Int { taken.load(ordering: .relaxed) }

    func take() -> ClientSlot? {
        var current = taken.load(ordering: .relaxed)
        while current < limit {
            let (exchanged, original) = taken.compareExchange(
                expected: current, desired: current + 1, ordering: .acquiringAndReleasing)
            if exchanged { return ClientSlot(slots: self) }
            current = original
        }
        return nil
    }

    fileprivate func giveBack() { taken.subtract(1, ordering: .relaxed) }
}

final class ClientSlot: Sendable {
    private let slots: ClientSlots
    private let released = Atomic<Bool>(false)

    fileprivate init(slots: ClientSlots) { self.slots = slots }

    func release() {
        if !released.exchange(true, ordering: .acquiringAndReleasing) { slots.giveBack() }
    }

    deinit { release() }
}
