import NIOCore
import SensorBridgeCore

/// The sources one bridge serves, each with its own stream and clients, in the order given.
/// The first is what a request that names none gets (`/graph` without `source=`), so clients
/// of a one-source bridge work unchanged.
public final class BridgeSources: Sendable {
    public let all: [GraphClients]

    /// - Precondition: at least one source, each named differently (the command line checks).
    public init(_ all: [GraphClients]) {
        precondition(!all.isEmpty, "a bridge serves at least one source")
        self.all = all
    }

    public var first: GraphClients { all[0] }

    public var names: [String] { all.map(\.sourceName) }

    public func named(_ name: String) -> GraphClients? { all.first { $0.sourceName == name } }

    /// The source `source=NAME` names in `uri`'s query, or the first when it names none.
    /// - Returns: nil when it names one the bridge does not have.
    public func requested(by uri: String) -> GraphClients? {
        guard let name = Self.sourceParameter(in: uri) else { return first }
        return named(name)
    }

    /// For the history endpoints, whose `source=` may also name a source *inside* a store (an
    /// archive of several, imports): a bridge's source named there answers with that name
    /// taken out of the query; any other name goes to the first source's store as it is.
    public func route(_ query: [String: String]) -> (clients: GraphClients, query: [String: String]) {
        guard let name = query["source"], let clients = named(name) else { return (first, query) }
        var rest = query
        rest["source"] = nil
        return (clients, rest)
    }

    /// Why `uri` got no source: the name asked for and the names there are.
    public func refusal(for uri: String) -> String {
        let asked = Self.sourceParameter(in: uri) ?? ""
        return "this bridge has no source named '\(asked.shortened(toUTF8Bytes: 80))'; it has: \(names.joined(separator: ", "))"
    }

    /// Shuts every source's clients: the futures of their closes.
    func closeAll() -> [EventLoopFuture<Void>] { all.flatMap { $0.closeAll() } }

    static func sourceParameter(in uri: String) -> String? {
        QueryParameters.parse(uri: uri)["source"]
    }
}
