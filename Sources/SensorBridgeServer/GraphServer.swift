import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOWebSocket
import SensorBridgeCore
import Synchronization

/// The bridge's one port: HTTP for the page and status, WebSocket `/graph` for the stream.
public final class GraphServer: Sendable {
    public struct Configuration: Sendable {
        public var host: String
        public var port: Int
        /// Largest client frame accepted (clients send little: pings, close).
        public var maxClientFrameSize: Int

        public init(host: String = "127.0.0.1", port: Int = 8080, maxClientFrameSize: Int = 16_384) {
            self.host = host
            self.port = port
            self.maxClientFrameSize = maxClientFrameSize
        }
    }

    private let hub: SampleHub
    private let pages: PageFiles
    private let configuration: Configuration
    private let logger: Logger
    private let group: MultiThreadedEventLoopGroup
    private let ownsGroup: Bool
    private let channel: Channel
    private let stopped = Mutex(false)

    /// The port actually bound (useful with port 0).
    public var port: Int { channel.localAddress?.port ?? configuration.port }

    /// Binds and starts serving. Throws when the address cannot be bound.
    public init(
        hub: SampleHub, pages: PageFiles, configuration: Configuration, logger: Logger,
        group: MultiThreadedEventLoopGroup? = nil
    ) throws {
        self.hub = hub
        self.pages = pages
        self.configuration = configuration
        self.logger = logger
        self.ownsGroup = group == nil
        let group = group ?? MultiThreadedEventLoopGroup(numberOfThreads: System.coreCount)
        self.group = group

        let bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 1024)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelOption(.writeBufferWaterMark, value: .init(low: 32 * 1024, high: 64 * 1024))
            .childChannelInitializer { channel in
                Self.initialize(channel, hub: hub, pages: pages, configuration: configuration, logger: logger)
            }
        do {
            self.channel = try bootstrap.bind(host: configuration.host, port: configuration.port).wait()
        } catch {
            if ownsGroup { try? group.syncShutdownGracefully() }
            throw error
        }
    }

    private static func initialize(
        _ channel: Channel, hub: SampleHub, pages: PageFiles, configuration: Configuration, logger: Logger
    ) -> EventLoopFuture<Void> {
        let httpHandler = HTTPHandler(hub: hub, pages: pages, logger: logger)
        let upgrader = NIOWebSocketServerUpgrader(
            maxFrameSize: configuration.maxClientFrameSize,
            automaticErrorHandling: true,
            shouldUpgrade: { channel, head in
                let path = head.uri.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
                guard path == "/graph" else { return channel.eventLoop.makeSucceededFuture(nil) }
                let choice = SubprotocolChoice(headerValues: head.headers["Sec-WebSocket-Protocol"])
                var headers = HTTPHeaders()
                if let chosen = choice.chosen { headers.add(name: "Sec-WebSocket-Protocol", value: chosen) }
                return channel.eventLoop.makeSucceededFuture(headers)
            },
            upgradePipelineHandler: { channel, head in
                let choice = SubprotocolChoice(headerValues: head.headers["Sec-WebSocket-Protocol"])
                let record = ClientRecord(
                    id: hub.makeClientID(),
                    remoteAddress: channel.remoteAddress?.description ?? "unknown",
                    connectedMicros: WallClock.nowMicros(),
                    protocolVersion: head.headers["Sec-WebSocket-Version"].first ?? "13",
                    choice: choice,
                    origin: head.headers["Origin"].first ?? head.headers["Sec-WebSocket-Origin"].first,
                    userAgent: head.headers["User-Agent"].first
                )
                HandshakeLog.connected(record, refused: choice.refused, extensions: head.headers["Sec-WebSocket-Extensions"], logger: logger)
                return channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(GraphClientHandler(hub: hub, record: record, logger: logger))
                }
            }
        )
        return channel.eventLoop.makeCompletedFuture {
            try channel.pipeline.syncOperations.configureHTTPServerPipeline(
                withServerUpgrade: (upgraders: [upgrader], completionHandler: { context in
                    context.pipeline.syncOperations.removeHandler(httpHandler, promise: nil)
                }),
                withErrorHandling: true
            )
            try channel.pipeline.syncOperations.addHandler(httpHandler)
        }
    }

    /// Closes every client with 1001, stops listening and, if it made them, stops the event loops.
    public func shutdown() {
        guard stopped.withLock({ wasStopped in
            defer { wasStopped = true }
            return !wasStopped
        }) else { return }
        let closes = hub.closeAllClients()
        for close in closes { _ = try? close.wait() }
        try? channel.close().wait()
        if ownsGroup { try? group.syncShutdownGracefully() }
    }
}
