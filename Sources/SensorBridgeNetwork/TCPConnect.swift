import SensorBridgeCore
import SensorBridgeStream
#if canImport(Glibc)
import Glibc
#endif

/// One attempt to connect to a peer: each of its addresses in turn, non-blocking, waiting in
/// `poll()` on the socket and the stop signal together, so a stop is never held up by a peer
/// that does not answer (a SYN into the void takes minutes to fail on its own).
enum TCPConnect {
    enum Outcome {
        case connected(OwnedSocket)
        /// Why no address took the connection: "connection refused".
        case failed(String)
        case stopped
    }

    /// How long one attempt waits for a peer that neither accepts nor refuses.
    static let timeoutMicros: Int64 = 10_000_000

    static func attempt(_ addresses: [SocketAddress], stop: StopSignal, isStopping: () -> Bool) -> Outcome {
        let deadline = WallClock.monotonicMicros().addingSaturating(timeoutMicros)
        var reasons: [String] = []
        for address in addresses {
            let socket: OwnedSocket
            switch OwnedSocket.make(family: address.family, type: Int32(SOCK_STREAM.rawValue)) {
            case .success(let made): socket = made
            case .failure(let failure):
                reasons.append(failure.description)
                continue
            }
            let started = address.withSockaddr { Glibc.connect(socket.fileDescriptor, $0, $1) }
            if started == 0 { return .connected(socket) }
            guard errno == EINPROGRESS || errno == EINTR else {
                reasons.append(SocketFailure(errno: errno).description)
                continue
            }
            while true {
                if isStopping() { return .stopped }
                let remaining = deadline.subtractingSaturating(WallClock.monotonicMicros())
                guard remaining > 0 else {
                    reasons.append("no answer within \(timeoutMicros / 1_000_000) s")
                    break
                }
                var descriptors = [
                    pollfd(fd: stop.fileDescriptor, events: Int16(POLLIN), revents: 0),
                    pollfd(fd: socket.fileDescriptor, events: Int16(POLLOUT), revents: 0),
                ]
                let ready = poll(&descriptors, 2, Int32(clamping: (remaining + 999) / 1000))
                guard ready > 0 else { continue }  // EINTR or the deadline: looked at above
                if descriptors[0].revents != 0 { return .stopped }
                guard descriptors[1].revents != 0 else { continue }
                let error = socket.pendingError()
                if error == 0 { return .connected(socket) }
                reasons.append(SocketFailure(errno: error).description)
                break
            }
        }
        var distinct: [String] = []
        for reason in reasons where !distinct.contains(reason) { distinct.append(reason) }
        return .failed(distinct.isEmpty ? "the host has no address" : distinct.joined(separator: "; "))
    }
}
