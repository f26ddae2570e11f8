import Synchronization

/// Open connections, in all and per peer address, kept below the descriptor limit, so the
/// bridge never runs out of descriptors (when accept fails and everyone waits). When it is
/// full, the oldest connection that has not sent a single byte gives way to the newcomer:
/// idle sockets cannot lock real clients out, and a flood of them only displaces itself.
/// Only when every connection is talking is the newcomer answered 503 (at once, so the
/// listening queue keeps draining). Loopback peers have no per-address limit: they are this
/// machine's own user (or a local reverse proxy).
public final class ConnectionLimiter: Sendable {
    let maxConnections: Int
    let maxPerAddress: Int

    private struct State {
        var total = 0
        var byAddress: [String: Int] = [:]
        /// Connections that have sent nothing yet, oldest first (`silentOrder` from
        /// `silentHead` on; ids no longer in `silent` are skipped).
        var silent: [UInt64: @Sendable () -> Void] = [:]
        var silentOrder: [UInt64] = []
        var silentHead = 0
        var nextID: UInt64 = 0
        var displaced: UInt64 = 0

        mutating func popOldestSilent() -> (@Sendable () -> Void)? {
            while silentHead < silentOrder.count {
                let id = silentOrder[silentHead]
                silentHead += 1
                if let close = silent.removeValue(forKey: id) {
                    compact()
                    return close
                }
            }
            compact()
            return nil
        }

        mutating func compact() {
            if silentHead > 1024, silentHead * 2 > silentOrder.count {
                silentOrder.removeFirst(silentHead)
                silentHead = 0
            }
        }
    }
    private let state = Mutex(State())

    public init(maxConnections: Int, maxPerAddress: Int) {
        self.maxConnections = maxConnections
        self.maxPerAddress = maxPerAddress
    }

    enum Admission: Equatable {
        /// Counted in, as this id (for `spoke` and `release`).
        case admitted(id: UInt64)
        case full
        case address
    }

    /// Counts the connection in, displacing the oldest silent one if the bridge is full, or
    /// says why not (and counts nothing). `close` closes this connection should it stay
    /// silent while another needs its place.
    func admit(_ address: String, close: @escaping @Sendable () -> Void) -> Admission {
        let limited = !AccessPolicy.isLoopbackName(address)
        let (admission, displaced) = state.withLock { state -> (Admission, (@Sendable () -> Void)?) in
            if limited, state.byAddress[address, default: 0] >= maxPerAddress { return (.address, nil) }
            var displaced: (@Sendable () -> Void)?
            if state.total >= maxConnections {
                guard let oldest = state.popOldestSilent() else { return (.full, nil) }
                displaced = oldest
                state.displaced += 1
            }
            if limited { state.byAddress[address, default: 0] += 1 }
            state.total += 1
            let id = state.nextID
            state.nextID += 1
            state.silent[id] = close
            state.silentOrder.append(id)
            return (.admitted(id: id), displaced)
        }
        displaced?()
        return admission
    }

    /// The connection sent its first bytes: it is no longer one to displace.
    func spoke(_ id: UInt64) {
        state.withLock { _ = $0.silent.removeValue(forKey: id) }
    }

    func release(_ id: UInt64, address: String) {
        state.withLock { state in
            state.total -= 1
            state.silent[id] = nil
            guard !AccessPolicy.isLoopbackName(address) else { return }
            let open = state.byAddress[address, default: 1] - 1
            state.byAddress[address] = open > 0 ? open : nil
        }
    }

    var open: Int { state.withLock { $0.total } }
    /// Silent connections closed to make room.
    var displaced: UInt64 { state.withLock { $0.displaced } }
}
