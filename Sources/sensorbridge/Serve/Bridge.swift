/// A serving bridge's parts (store, ingest path, source, publisher, then the server), owned
/// in the order they were started: `stop()` stops the parts in the reverse order, so a source
/// goes before the path it writes into and the store it fills, and a part that fails to start
/// stops every part started before it, leaving nothing half-running. The server, started
/// last so that a wrong device is reported before anything is served, is stopped last: a
/// source's final state change wakes the server's event loops, which must still be running.
final class Bridge {
    private var stops: [() -> Void] = []
    private var stopServer: (() -> Void)?
    private var stopped = false

    /// Makes and starts a part now; `stop` is called with it when the bridge stops.
    @discardableResult
    func start<Part>(_ make: () throws -> Part, stop: @escaping (Part) -> Void) throws -> Part {
        let part = try starting(make)
        stops.append { stop(part) }
        return part
    }

    /// Makes and starts the server, the last part: stopped after all the others.
    func serve<Server>(_ make: () throws -> Server, stop: @escaping (Server) -> Void) throws -> Server {
        let server = try starting(make)
        stopServer = { stop(server) }
        return server
    }

    /// Stops every part started, the last started first, then the server; once.
    func stop() {
        guard !stopped else { return }
        stopped = true
        for stop in stops.reversed() { stop() }
        stops.removeAll()
        stopServer?()
        stopServer = nil
    }

    private func starting<Part>(_ make: () throws -> Part) throws -> Part {
        do {
            return try make()
        } catch {
            stop()
            throw error
        }
    }
}
