import Foundation
import Logging
import NIOCore
import NIOHTTP1
import SensorBridgeStream

/// Answers `/api/sources` for the HTTP handler: lists the source, and hands its port over or
/// takes it back. A release waits until the reading thread has closed the port (so the
/// uploader run next finds it free): that wait is done on a thread of its own, never on the
/// event loop, and the answer is written back on the loop.
struct SourceRequests {
    let clients: GraphClients
    let access: AccessPolicy
    let log: ThrottledLog

    /// One source as `/api/sources` lists it.
    struct Listed: Encodable {
        var name: String
        var kind: String
        var location: String
        var state: String
        var detail: String
        var rate: Double
        var canRelease: Bool
    }

    func answer(_ head: HTTPRequestHead, context: ChannelHandlerContext) {
        let status = clients.stream.sourceStatus
        let origin = head.headers["Origin"].first
        let foreign = access.sendRefusal(origin: origin, host: head.headers["Host"].first ?? "") == nil ? nil : origin
        let decided = SourceEndpoint.answer(
            method: head.method, uri: head.uri, source: clients.sourceName, kind: status.kind,
            canRelease: clients.release != nil, foreignOrigin: foreign)
        let peer = context.peerName
        switch decided {
        case .list:
            let report = clients.statusReport()
            let listed = Listed(name: clients.sourceName, kind: status.kind.rawValue, location: status.name, state: status.state.rawValue,
                                detail: status.detail, rate: report.rate, canRelease: clients.release != nil)
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            let body = (try? encoder.encode(["sources": [listed]])) ?? Data("{}".utf8)
            PlainResponse(status: .ok, body: ByteBuffer(bytes: body), contentType: "application/json").write(to: context, answering: head)
        case .refuse(let code, let reason, let allow):
            var headers = HTTPHeaders()
            if let allow { headers.add(name: "Allow", value: allow) }
            if code == .forbidden { log.notice("refused \(head.method.rawValue) \(head.path) from \(peer): \(reason)") }
            PlainResponse(status: code, text: reason, headers: headers).write(to: context, answering: head)
        case .reopen:
            clients.release?.reclaim()
            log.info("\(peer) ended the release of \(clients.sourceName): reopening it")
            PlainResponse(status: .ok, text: "reopening \(clients.sourceName)").write(to: context, answering: head)
        case .release(let seconds):
            guard let release = clients.release else { return }
            let loop = context.eventLoop
            let name = clients.sourceName
            let log = log
            let answered = loop.makePromise(of: PlainResponse.self)
            DispatchQueue.global().async {
                do {
                    try release.release(forSeconds: seconds, by: peer)
                    log.info("released \(name) for \(Int(seconds)) s at the request of \(peer)")
                    answered.succeed(PlainResponse(status: .ok, text: "released \(name) for \(Int(seconds)) s"))
                } catch {
                    answered.succeed(PlainResponse(status: .serviceUnavailable, text: "\(error)"))
                }
            }
            let context = NIOLoopBound(context, eventLoop: loop)
            answered.futureResult.whenSuccess { response in
                response.write(to: context.value, answering: head)
            }
        }
    }
}
