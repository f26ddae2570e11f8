import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// One HTTP/1.1 request to a running bridge on this machine's loopback or a named host, and
/// its answer: what `sensorbridge release` needs, with no HTTP library in the way.
struct BridgeRequest {
    var host: String
    var port: Int
    var token: String?

    struct Answer {
        var status: Int
        var body: String
    }

    enum Failure: Error, CustomStringConvertible {
        /// Nothing listens there: no bridge runs.
        case noBridge(String)
        case broken(String)

        var description: String {
            switch self {
            case .noBridge(let reason), .broken(let reason): reason
            }
        }
    }

    /// Sends `method path` with no body and reads the whole answer (the bridge closes after it).
    func send(_ method: String, _ path: String, timeoutSeconds: Int = 10) throws -> Answer {
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var found: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(host, String(port), &hints, &found) == 0, let first = found else {
            throw Failure.broken("cannot find the host \(host)")
        }
        defer { freeaddrinfo(found) }
        let fd = socket(first.pointee.ai_family, first.pointee.ai_socktype, first.pointee.ai_protocol)
        guard fd >= 0 else { throw Failure.broken("cannot make a socket: \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        var timeout = timeval(tv_sec: timeoutSeconds, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        guard connect(fd, first.pointee.ai_addr, first.pointee.ai_addrlen) == 0 else {
            let reason = String(cString: strerror(errno))
            throw errno == ECONNREFUSED ? Failure.noBridge("no bridge listens on \(host):\(port) (\(reason))")
                : Failure.broken("cannot reach \(host):\(port): \(reason)")
        }
        var request = "\(method) \(path) HTTP/1.1\r\nHost: \(host.contains(":") ? "[\(host)]" : host):\(port)\r\nContent-Length: 0\r\nConnection: close\r\n"
        if let token { request += "Authorization: Bearer \(token)\r\n" }
        request += "\r\n"
        let bytes = Array(request.utf8)
        guard bytes.withUnsafeBytes({ write(fd, $0.baseAddress, $0.count) }) == bytes.count else {
            throw Failure.broken("cannot send to \(host):\(port): \(String(cString: strerror(errno)))")
        }
        var answer = [UInt8]()
        var buffer = [UInt8](repeating: 0, count: 4096)
        while answer.count < 1 << 20 {
            let count = read(fd, &buffer, buffer.count)
            guard count > 0 else { break }
            answer += buffer[0..<count]
        }
        let text = String(decoding: answer, as: UTF8.self)
        let statusLine = text.prefix { $0 != "\r" && $0 != "\n" }.split(separator: " ")
        guard statusLine.count >= 2, statusLine[0].hasPrefix("HTTP/"), let status = Int(statusLine[1]) else {
            throw Failure.broken("\(host):\(port) did not answer as a bridge does")
        }
        let body = text.range(of: "\r\n\r\n").map { String(text[$0.upperBound...]) } ?? ""
        return Answer(status: status, body: body.trimmingCharacters(in: .whitespacesAndNewlines))
    }
}
