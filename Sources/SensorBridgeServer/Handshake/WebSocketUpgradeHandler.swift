import SensorBridgeStream
import Logging
import NIOCore
import NIOHTTP1
import NIOWebSocket
import SensorBridgeCore

/// Answers every request for a WebSocket endpoint and, when the handshake is good, turns the
/// connection into a WebSocket of the right kind. It does the upgrade itself, rather than
/// through NIO's upgrader, because NIO's speaks only version 13 and writes a fixed status
/// line and lower-case headers, while hixie-76 clients need their own exact answer, sent only
/// after the 8 bytes that follow the request. Refusals are 400 or 426 with the reason, and
/// 503 past `--max-clients`.
final class WebSocketUpgradeHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias InboundOut = HTTPServerRequestPart

    enum Endpoint {
        /// `/graph`: the sample stream, for every handshake version.
        case graph
        /// `/echo`: Autobahn's conformance endpoint, RFC 6455 only, off unless enabled.
        case echo
    }

    struct Settings {
        var maxGraphFrameBytes: Int
        var maxEchoMessageBytes: Int
        var handshakeTimeout: TimeAmount
        var echoEnabled: Bool
        var clientTimeout: TimeAmount
        var slots: ClientSlots
        /// Who may send lines to the board (besides `--allow-send`).
        var access: AccessPolicy = AccessPolicy()
    }

    private enum State {
        case idle
        /// A request for another path, on its way to the HTTP handler.
        case passing
        case collecting(HTTPRequestHead, Endpoint)
        /// Refused (or upgrading): the HTTP part of this connection is over.
        case finished
    }

    private let sources: BridgeSources
    private let settings: Settings
    private let httpHandlers: [RemovableChannelHandler]
    private let logger: Logger
    private let log: ThrottledLog
    private var state = State.idle

    /// - Parameter httpHandlers: every HTTP handler to take out of the pipeline on upgrade
    ///   (the request decoder last, so that the bytes it holds go to the WebSocket side).
    init(sources: BridgeSources, settings: Settings, httpHandlers: [RemovableChannelHandler], logger: Logger, log: ThrottledLog) {
        self.sources = sources
        self.settings = settings
        self.httpHandlers = httpHandlers
        self.logger = logger
        self.log = log
    }

    private func endpoint(for head: HTTPRequestHead) -> Endpoint? {
        switch head.path {
        case "/graph": return .graph
        case "/echo" where settings.echoEnabled: return .echo
        default: return nil
        }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch state {
        case .finished:
            // A refused connection is closing: nothing more is read. (After an upgrade this
            // handler is already gone when the decoder hands on the bytes it held.)
            break
        case .passing:
            if case .end = unwrapInboundIn(data) { state = .idle }
            context.fireChannelRead(data)
        case .collecting(let head, let endpoint):
            if case .end = unwrapInboundIn(data) { answer(head, endpoint: endpoint, context: context) }
        case .idle:
            guard case .head(let head) = unwrapInboundIn(data), let endpoint = endpoint(for: head) else {
                state = .passing
                if case .end = unwrapInboundIn(data) { state = .idle }
                context.fireChannelRead(data)
                return
            }
            state = .collecting(head, endpoint)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        // Once refused, the answer is on its way and the connection closing: a parse error in
        // what the client sent after it must not produce a second answer.
        if case .finished = state { return }
        context.fireErrorCaught(error)
    }

    private func answer(_ head: HTTPRequestHead, endpoint: Endpoint, context: ChannelHandlerContext) {
        state = .finished
        let verdict = WebSocketHandshake.evaluate(head)
        switch (verdict, endpoint) {
        case (.badRequest(let reason), _):
            refuse(head, status: .badRequest, reason: reason, context: context)
        case (.upgradeRequired(let reason), _):
            refuse(head, status: .upgradeRequired, reason: reason, context: context)
        case (.hixie76, .echo):
            refuse(head, status: .upgradeRequired, reason: "the echo endpoint speaks RFC 6455 (version 13) only", context: context)
        case (.hybi(let handshake), .echo):
            upgradeHybi(handshake, head: head, endpoint: endpoint, clients: nil, slot: nil, context: context)
        case (.hybi, .graph), (.hixie76, .graph):
            guard let clients = sources.requested(by: head.uri) else {
                refuse(head, status: .notFound, reason: sources.refusal(for: head.uri), context: context)
                return
            }
            guard let slot = settings.slots.take() else {
                var headers = HTTPHeaders()
                headers.add(name: "Retry-After", value: "5")
                let reason = "the bridge is serving its maximum of \(settings.slots.limit) clients (--max-clients); try again later"
                refuse(head, status: .serviceUnavailable, reason: reason, headers: headers, context: context)
                return
            }
            if case .hybi(let handshake) = verdict {
                upgradeHybi(handshake, head: head, endpoint: .graph, clients: clients, slot: slot, context: context)
            } else if case .hixie76(let handshake) = verdict {
                upgradeHixie(handshake, head: head, clients: clients, slot: slot, context: context)
            }
        }
    }

    private func refuse(_ head: HTTPRequestHead, status: HTTPResponseStatus, reason: String,
                        headers: HTTPHeaders = HTTPHeaders(), context: ChannelHandlerContext) {
        HandshakeLog.refused(status: status, reason: reason, head: head,
                             remote: context.peerName, log: log)
        var headers = headers
        if status == .upgradeRequired {
            headers.add(name: "Sec-WebSocket-Version",
                        value: WebSocketHandshake.supportedVersions.map(String.init).joined(separator: ", "))
            headers.add(name: "Upgrade", value: "websocket")
        }
        PlainResponse(status: status, text: reason, headers: headers).write(to: context, answering: head, keepAlive: false)
    }

    /// - Parameter clients: the source a graph client watches (nil for the echo endpoint).
    private func upgradeHybi(_ handshake: HybiHandshake, head: HTTPRequestHead, endpoint: Endpoint, clients: GraphClients?,
                             slot: ClientSlot?, context: ChannelHandlerContext) {
        let response = HTTPResponseHead(version: .http1_1, status: .switchingProtocols, headers: handshake.responseHeaders)
        context.writeAndFlush(NIOAny(HTTPServerResponsePart.head(response)), promise: nil)
        let handlers: [ChannelHandler]
        switch endpoint {
        case .graph:
            handlers = [
                WebSocketFrameEncoder(),
                ByteToMessageHandler(WebSocketFrameDecoder(maxFrameSize: settings.maxGraphFrameBytes)),
                WebSocketProtocolErrorHandler(),
                ClientFrameValidator(),
                TextFrameUTF8Validator(),
                makeClient(handshake.facts, framing: .webSocket, head: head, clients: clients!, slot: slot!, context: context),
            ]
        case .echo:
            logger.info("conformance client connected to /echo", metadata: ["user-agent": "\(handshake.facts.userAgent ?? "-")"])
            handlers = [
                WebSocketFrameEncoder(),
                ByteToMessageHandler(WebSocketFrameDecoder(maxFrameSize: settings.maxEchoMessageBytes)),
                WebSocketProtocolErrorHandler(),
                ClientFrameValidator(),
                TextFrameUTF8Validator(),
                NIOWebSocketFrameAggregator(
                    minNonFinalFragmentSize: 0, maxAccumulatedFrameCount: 1 << 20,
                    maxAccumulatedFrameSize: settings.maxEchoMessageBytes),
                EchoHandler(),
            ]
        }
        switchProtocols(to: handlers, context: context)
    }

    private func upgradeHixie(_ handshake: Hixie76Handshake, head: HTTPRequestHead, clients: GraphClients, slot: ClientSlot,
                              context: ChannelHandlerContext) {
        let client = makeClient(handshake.facts, framing: .hixie76, head: head, clients: clients, slot: slot, context: context)
        let codec = HixieFrameCodec(
            handshake: handshake, streamHandler: client, maxFrameBytes: settings.maxGraphFrameBytes,
            timeout: settings.handshakeTimeout, log: log)
        switchProtocols(to: [codec], context: context)
    }

    /// The slot goes with the client handler: it is given back when the client leaves, or,
    /// if the handler is never added (a hixie-76 client that never sends its key3), when it is freed.
    private func makeClient(_ facts: HandshakeFacts, framing: Framing, head: HTTPRequestHead, clients: GraphClients,
                            slot: ClientSlot, context: ChannelHandlerContext) -> GraphClientHandler {
        let record = ClientRecord(
            id: clients.makeClientID(), remoteAddress: context.peerName,
            connectedMicros: WallClock.nowMicros(), handshake: facts)
        return GraphClientHandler(
            clients: clients, record: record, request: StreamRequest(uri: head.uri), framing: framing, slot: slot,
            clientTimeout: settings.clientTimeout,
            sendRefusal: settings.access.sendRefusal(origin: facts.origin, host: head.headers["Host"].first ?? ""), log: log)
    }

    /// Takes the HTTP handlers out and puts `handlers` in their place. The HTTP decoder goes
    /// last: its removal completes after this call and forwards the bytes it held to
    /// whatever then follows it, which is the first of `handlers`.
    private func switchProtocols(to handlers: [ChannelHandler], context: ChannelHandlerContext) {
        let pipeline = context.pipeline.syncOperations
        do {
            for handler in httpHandlers.dropLast() { pipeline.removeHandler(handler, promise: nil) }
            // One at a time, each after the one before: the stream handler may write as soon as
            // it is added, so the encoder must already be in place.
            var previous: ChannelHandler = self
            for handler in handlers {
                try pipeline.addHandler(handler, position: .after(previous))
                previous = handler
            }
            if let decoder = httpHandlers.last { pipeline.removeHandler(decoder, promise: nil) }
            pipeline.removeHandler(context: context, promise: nil)
        } catch {
            logger.error("WebSocket upgrade failed: \(error)")
            context.close(promise: nil)
        }
    }
}
