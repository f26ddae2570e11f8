import Foundation
import Logging
import NIOCore
import NIOHTTP1
import SensorBridgeStream

/// Answers `/api/sources` for the HTTP handler: lists the sources, and hands a port over or
/// takes it back. A release waits until the reading thread has closed the port (so the
/// uploader run next finds it free): that wait is done on a thread of its own, never on the
/// event loop, and the answer is written back on the loop.
struct SourceRequests {
    let sources: BridgeSources
    let access: AccessPolicy
    let log: ThrottledLog

    func answer(_ head: HTTPRequestHead, context: ChannelHandlerContext) {
        let origin = head.headers["Origin"].first
        let foreign = access.sendRefusal(origin: origin, host: head.headers["Host"].first ?? "") == nil ? nil : origin
        let peer = context.peerName
        var decided = SourceEndpoint.answer(
            method: head.method, uri: head.uri,
            sources: sources.all.map { .init(name: $0.sourceName, kind: $0.stream.sourceStatus.kind, canRelease: $0.release != nil) },
            foreignOrigin: foreign)
        if decided.actsOnTheBoard, let refusal = SourceEndpoint.remoteRefusal(
            peerIsLoopback: context.remoteAddress?.ipAddress.map(AccessPolicy.isLoopbackName) ?? false,
            hasToken: access.token != nil, sendingAllowed: sources.all.contains { $0.sender != nil }) {
            decided = .refuse(status: .forbidden, reason: refusal)
        }
        switch decided {
        case .list:
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            let body = (try? encoder.encode(["sources": sources.all.map(\.summary)])) ?? Data("{}".utf8)
            PlainResponse(status: .ok, body: ByteBuffer(bytes: body), contentType: "application/json").write(to: context, answering: head)
        case .refuse(let code, let reason, let allow):
            var headers = HTTPHeaders()
            if let allow { headers.add(name: "Allow", value: allow) }
            if code == .forbidden { log.notice("refused \(head.method.rawValue) \(head.path) from \(peer): \(reason)") }
            PlainResponse(status: code, text: reason, headers: headers).write(to: context, answering: head)
        case .reopen(let name):
            sources.named(name)?.release?.reclaim()
            log.info("\(peer) ended the release of \(name): reopening it")
            PlainResponse(status: .ok, text: "reopening \(name)").write(to: context, answering: head)
        case .release(let name, let seconds):
            guard let release = sources.named(name)?.release else { return }
            let loop = context.eventLoop
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
