import Foundation
import Logging
import NIOCore
import SensorBridgeServer

/// The server part of `serve`: listening, with the descriptor limit raised, and the banner
/// of addresses a user opens.
extension Serve {
    /// Listens; a port taken or a host that is none of this machine's is said as a sentence.
    func startServer(sources: BridgeSources, token: String?, logger: Logger) throws -> GraphServer {
        let descriptors = DescriptorLimit.raiseToHardLimit()
        let connections = DescriptorLimit.connections(at: descriptors)
        let server: GraphServer
        do {
            server = try GraphServer(
                sources: sources, pages: self.server.pages,
                configuration: .init(
                    host: self.server.host, port: self.server.port,
                    handshakeTimeout: .nanoseconds(Int64(self.server.handshakeTimeout * 1_000_000_000)),
                    echoEndpoint: self.server.testEchoEndpoint,
                    access: access.policy(host: self.server.host, token: token),
                    maxClients: min(limits.maxClients ?? connections, connections),
                    maxConnectionsPerAddress: limits.maxConnectionsPerAddress,
                    maxConnections: connections,
                    clientTimeout: .nanoseconds(Int64(limits.clientTimeout * 1_000_000_000))),
                logger: logger)
        } catch let error as IOError {
            throw CommandError(ListenAddress.bindFailure(errno: error.errnoCode, host: self.server.host, port: self.server.port))
        } catch is SocketAddressError {
            throw CommandError("cannot listen on \(self.server.host): no address of this machine has that name; its addresses are \(ListenAddress.ownAddresses().joined(separator: ", "))")
        }
        if let maxClients = limits.maxClients, maxClients > connections {
            logger.warning("--max-clients \(maxClients) is more than the descriptor limit (\(descriptors)) allows; serving at most \(connections)")
        }
        if token == nil, !AccessPolicy.isLoopbackName(self.server.host) {
            logger.warning("listening on \(self.server.host) without an access token: anyone who can reach this machine can watch the stream (and, with --allow-send, send lines and release the port); add --require-token (or --token FILE)")
        }
        return server
    }

    /// What a user opens, written at once (not through stdout's buffer: a pipe reading it
    /// sees the URLs now).
    func printBanner(sources: BridgeSources, port: Int, token: String?) {
        let query = token.map { "?token=" + $0 } ?? ""
        let bases = ListenAddress.baseURLs(host: server.host, port: port)
        let served = sources.all.count == 1 ? sources.first.stream.sourceStatus.name
            : sources.all.map { "\($0.sourceName) (\($0.stream.sourceStatus.name))" }.joined(separator: ", ")
        var banner = ["sensorbridge: serving \(served)"]
        for base in bases { banner.append("  page:      \(base)/\(query)") }
        let primary = bases[0]
        banner.append("  websocket: \(primary.replacingOccurrences(of: "http://", with: "ws://"))/graph\(query)"
            + (sources.all.count > 1 ? (query.isEmpty ? "?" : "&") + "source=NAME (default \(sources.first.sourceName))" : ""))
        banner.append("  status:    \(primary)/api/status\(query)")
        banner.append("  metrics:   \(primary)/metrics\(query)")
        if server.testEchoEndpoint {
            banner.append("  echo:      \(primary.replacingOccurrences(of: "http://", with: "ws://"))/echo (conformance testing)")
        }
        FileHandle.standardOutput.write(Data((banner.joined(separator: "\n") + "\n").utf8))
    }
}
