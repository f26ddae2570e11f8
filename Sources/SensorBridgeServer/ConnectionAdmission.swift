import NIOCore
import Synchronization

/// Open connections, in all and per peer address, kept below the descriptor limit: a
/// connection past it is answered 503 and closed at once, so the listening socket's queue
/// keeps draining and a new client gets in as soon as another leaves, instead of the bridge
/// running out of descriptors (when accept fails and everyone waits). Loopback peers have no
/// per-address limit: they are this machine's own user (or a local reverse proxy).
final class ConnectionLimiter: Sendable {
    let maxConnections: Int
    let maxPerAddress: Int
    private struct Counts {
        var total = 0
        var byAddress: [String: Int] = [:]
    }
    private let counts = Mutex(Counts())

    init(maxConnections: Int, maxPerAddress: Int) {
        self.maxConnections = maxConnections
        self.maxPerAddress = maxPerAddress
    }

    enum Refusal: Equatable {
        case full
        case address
    }

    /// Counts the connection in (nil), or says why not (and counts nothing).
    func admit(_ address: String) -> Refusal? {
        let limited = !Self.isLoopback(address)
        return counts.withLock { counts in
            guard counts.total < maxConnections else { return .full }
            let open = counts.byAddress[address, default: 0]
            if limited {
                guard open < maxPerAddress else { return .address }
                counts.byAddress[address] = open + 1
            }
            counts.total += 1
            return nil
        }
    }

    func release(_ address: String) {
        counts.withLock { counts in
            counts.total -= 1
            guard !Self.isLoopback(address) else { return }
            let open = counts.byAddress[address, default: 1] - 1
            counts.byAddress[address] = open > 0 ? open : nil
        }
    }

    var open: Int { counts.withLock { $0.total } }

    static func isLoopback(_ address: String) -> Bool {
        address == "::1" || address.hasPrefix("127.") || address.hasPrefix("::ffff:127.")
    }
}

/// First in every connection's pipeline, for its whole life (it stays through the upgrade):
/// admits the connection under the limits, or answers 503 and closes it at once.
final class ConnectionAdmission: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    private let limiter: ConnectionLimiter
    private let log: FloodLog
    private var admittedAddress: String?
    private var refused = false

    init(limiter: ConnectionLimiter, log: FloodLog) {
        self.limiter = limiter
        self.log = log
    }

    func channelActive(context: ChannelHandlerContext) {
        let address = context.remoteAddress?.ipAddress ?? "unknown"
        guard let refusal = limiter.admit(address) else {
            admittedAddress = address
            context.fireChannelActive()
            return
        }
        refused = true
        let text: String
        switch refusal {
        case .address:
            log.notice("refused a connection from \(address): it already has \(limiter.maxPerAddress) open (--max-connections-per-address)")
            text = "too many connections from your address (at most \(limiter.maxPerAddress))\n"
        case .full:
            log.notice("refused a connection from \(address): \(limiter.maxConnections) connections are open, the most the descriptor limit allows")
            text = "the bridge has as many connections as it can take; try again later\n"
        }
        let response = "HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: \(text.utf8.count)\r\nRetry-After: 5\r\nConnection: close\r\n\r\n\(text)"
        context.writeAndFlush(NIOAny(context.channel.allocator.buffer(string: response))).whenComplete { _ in
            context.close(promise: nil)
        }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if !refused { context.fireChannelRead(data) }
    }

    func channelInactive(context: ChannelHandlerContext) {
        if let address = admittedAddress {
            limiter.release(address)
            admittedAddress = nil
        }
        if !refused { context.fireChannelInactive() }
    }
}
