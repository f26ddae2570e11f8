import SensorBridgeStream
import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import Synchronization

/// The bridge's one port: HTTP for the page and status, WebSocket `/graph` for the stream
/// (RFC 6455, hybi 7/8 and hixie-76 handshakes).
public final class GraphServer: Sendable {
    public struct Configuration: Sendable {
        public var host: String
        public var port: Int
        /// Largest frame a graph client may send (they send little: pings, close); larger gets close 1009.
        public var maxClientFrameSize: Int
        /// Largest request head; larger gets 400.
        public var maxHeaderBytes: Int
        /// How long a connection may take to send a complete request (and a hixie-76 client its key3).
        public var handshakeTimeout: TimeAmount
        /// Serve `/echo` for the Autobahn conformance suite.
        public var echoEndpoint: Bool
        /// Who may connect: Host names, Origins, token.
        public var access: AccessPolicy
        /// Graph clients served at once; the next gets 503.
        public var maxClients: Int
        /// Open connections from one (non-loopback) address; the next gets 503.
        public var maxConnectionsPerAddress: Int
        /// Open connections in all (below the descriptor limit); the next gets 503.
        public var maxConnections: Int
        /// A graph client behind the stream for longer than this is closed (1008).
        public var clientTimeout: TimeAmount

        public init(
            host: String = "127.0.0.1", port: Int = 8080, maxClientFrameSize: Int = 16_384,
            maxHeaderBytes: Int = 16_384, handshakeTimeout: TimeAmount = .seconds(10), echoEndpoint: Bool = false,
            access: AccessPolicy = AccessPolicy(), maxClients: Int = 10_000, maxConnectionsPerAddress: Int = 64,
            maxConnections: Int = 60_000, clientTimeout: TimeAmount = .seconds(30)
        ) {
            self.host = host
            self.port = port
            self.maxClientFrameSize = maxClientFrameSize
            self.maxHeaderBytes = maxHeaderBytes
            self.handshakeTimeout = handshakeTimeout
            self.echoEndpoint = echoEndpoint
            self.access = access
            self.maxClients = maxClients
            self.maxConnectionsPerAddress = maxConnectionsPerAddress
            self.maxConnections = maxConnections
            self.clientTimeout = clientTimeout
        }
    }

    /// Each source's watchers and the server's subscription to its stream; the first source's.
    public var clients: GraphClients { sources.first }
    public let sources: BridgeSources
    private let pages: PageFiles
    private let configuration: Configuration
    private let logger: Logger
    private let group: MultiThreadedEventLoopGroup
    private let ownsGroup: Bool
    private let channel: Channel
    private let stopped = Mutex(false)
    private let floodLog: ThrottledLog
    private let slots: ClientSlots

    /// The port actually bound (useful with port 0).
    public var port: Int { channel.localAddress?.port ?? configuration.port }

    /// Binds and starts serving. Throws when the address cannot be bound.
    public convenience init(
        clients: GraphClients, pages: PageFiles, configuration: Configuration, logger: Logger,
        group: MultiThreadedEventLoopGroup? = nil
    ) throws {
        try self.init(sources: BridgeSources([clients]), pages: pages, configuration: configuration, logger: logger, group: group)
    }

    /// Binds and starts serving several sources (`/graph?source=NAME`).
    public init(
        sources: BridgeSources, pages: PageFiles, configuration: Configuration, logger: Logger,
        group: MultiThreadedEventLoopGroup? = nil
    ) throws {
        self.sources = sources
        self.pages = pages
        self.configuration = configuration
        self.logger = logger
        self.ownsGroup = group == nil
        let group = group ?? MultiThreadedEventLoopGroup(numberOfThreads: System.coreCount)
        self.group = group
        let floodLog = ThrottledLog(logger: logger)
        self.floodLog = floodLog
        let slots = ClientSlots(limit: configuration.maxClients)
        self.slots = slots
        let limiter = ConnectionLimiter(
            maxConnections: configuration.maxConnections, maxPerAddress: configuration.maxConnectionsPerAddress)

        let bootstrap = ServerBootstrap(group: group)
            .serverChannelInitializer { channel in
                // Out of descriptors, accept fails at once and again on every wake-up: pause
                // accepting briefly instead of spinning, so the loop keeps serving the others.
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(
                        AcceptBackoffHandler(shouldForwardIOErrorCaught: false) { error in
                            floodLog.notice("cannot accept a connection (\(error)); pausing accepts for 200 ms")
                            return .milliseconds(200)
                        })
                }
            }
            // Room for thousands connecting at once (the kernel caps it at somaxconn): a full
            // queue drops SYNs, and a dropped SYN is retried only after 1, 3, 7 s.
            .serverChannelOption(.backlog, value: 4096)
            .serverChannelOption(.maxMessagesPerRead, value: 64)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            // A fixed send buffer instead of the kernel's autotuning (up to 4 MB each): a client
            // that stops reading holds at most this much kernel memory; the ring holds the rest.
            .childChannelOption(.socketOption(.so_sndbuf), value: 256 * 1024)
            .childChannelOption(.writeBufferWaterMark, value: .init(low: 32 * 1024, high: 64 * 1024))
            .childChannelInitializer { channel in
                Self.initialize(channel, sources: sources, pages: pages, configuration: configuration, logger: logger,
                                log: floodLog, slots: slots, limiter: limiter)
            }
        do {
            self.channel = try bootstrap.bind(host: configuration.host, port: configuration.port).wait()
        } catch {
            if ownsGroup { try? group.syncShutdownGracefully() }
            throw error
        }
        group.next().scheduleRepeatedTask(initialDelay: .seconds(1), delay: .seconds(1)) { _ in floodLog.flush() }
    }

    /// HTTP first; `WebSocketUpgradeHandler` replaces the HTTP handlers when a handshake succeeds.
    /// Public, not private: the pipeline-rebuild tests and the fuzz target FuzzHandshake build connections with it.
    public static func initialize(
        _ channel: Channel, sources: BridgeSources, pages: PageFiles, configuration: Configuration, logger: Logger,
        log: ThrottledLog, slots: ClientSlots, limiter: ConnectionLimiter
    ) -> EventLoopFuture<Void> {
        channel.eventLoop.makeCompletedFuture {
            var limits = NIOHTTPDecoderLimitConfiguration()
            limits.maxHeaderListSize = configuration.maxHeaderBytes
            limits.maxHeaderFieldSize = configuration.maxHeaderBytes
            // After an upgrade request the decoder stops parsing; on removal it hands on the
            // bytes it holds (a hixie-76 key3, or early WebSocket frames).
            let decoder = ByteToMessageHandler(HTTPRequestDecoder(
                leftOverBytesStrategy: .forwardBytes, informationalResponseStrategy: .drop, limitConfiguration: limits))
            let encoder = HTTPResponseEncoder()
            let timeout = RequestTimeoutHandler(timeout: configuration.handshakeTimeout, log: log)
            let guardHandler = AccessGuard(policy: configuration.access, log: log)
            let http = HTTPHandler(sources: sources, pages: pages, maxHeaderBytes: configuration.maxHeaderBytes, logger: logger, log: log,
                                   stallTimeout: configuration.clientTimeout, access: configuration.access)
            let upgrade = WebSocketUpgradeHandler(
                sources: sources,
                settings: .init(
                    maxGraphFrameBytes: configuration.maxClientFrameSize,
                    maxEchoMessageBytes: 32 << 20,
                    handshakeTimeout: configuration.handshakeTimeout,
                    echoEnabled: configuration.echoEndpoint,
                    clientTimeout: configuration.clientTimeout,
                    slots: slots,
                    access: configuration.access),
                httpHandlers: [encoder, timeout, guardHandler, http, decoder],
                logger: logger, log: log)
            try channel.pipeline.syncOperations.addHandlers([
                ConnectionAdmission(limiter: limiter, log: log), decoder, encoder, timeout, guardHandler, upgrade, http,
            ])
        }
    }

    /// Closes every client with 1001, stops listening and, if it made them, stops the event loops.
    public func shutdown() {
        guard stopped.withLock({ wasStopped in
            defer { wasStopped = true }
            return !wasStopped
        }) else { return }
        let closes = sources.closeAll()
        for close in closes { _ = try? close.wait() }
        try? channel.close().wait()
        // History answers and exports under way end before the loops they write to.
        HistoryPool.queries.drain()
        HistoryPool.exports.drain()
        if ownsGroup { try? group.syncShutdownGracefully() }
    }
}
