import ArgumentParser
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// `sensorbridge release [SOURCE] -- COMMAND…`: has the running bridge let go of its port,
/// runs the command (an upload) while it is let go, then has the bridge take it back, and
/// exits with the command's status. The bridge holds the port free for a few seconds at a
/// time, renewed while the command runs: if this process dies, the bridge takes the port
/// back by itself.
struct Release: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Hand a running bridge's port over to a command (an upload), then give it back.",
        discussion: """
            sensorbridge release -- arduino-cli upload -p /dev/ttyACM0 --fqbn arduino:avr:uno sketch
            The bridge closes the port, the command runs, the bridge reopens the port within 2 s of its end;
            viewers see "released for upload", then the new session. Exits with the command's status.
            """)


    @Argument(help: "The source to release, as GET /api/sources names it (default: the bridge's only one).")
    var source: String?

    @Option(help: "The bridge's port.")
    var port: Int = 8080

    @Option(help: "The bridge's address.")
    var host: String = "127.0.0.1"

    @Option(help: ArgumentHelp("The bridge's access token, read from this file (- for standard input), if it needs one.", valueName: "file"))
    var token: String?

    /// Seconds each request holds the port; renewed three times as often while the command runs.
    @Option(help: .hidden)
    var hold: Int = 10

    @Argument(parsing: .postTerminator, help: "The command to run while the port is released, after --.")
    var command: [String] = []

    func validate() throws {
        guard !command.isEmpty else { throw ValidationError("give the command to run after --, e.g. sensorbridge release -- arduino-cli upload -p /dev/ttyACM0 ...") }
        guard (1...65535).contains(port) else { throw ValidationError("--port must be 1…65535") }
        guard (1...600).contains(hold) else { throw ValidationError("--hold must be 1…600 seconds") }
        if let source, source.utf8.count > 200 || source.contains("/") || source.contains("?") {
            throw ValidationError("SOURCE is a name as GET /api/sources gives it, such as ttyACM0")
        }
    }

    func run() throws {
        let bridge: BridgeRequest
        do {
            bridge = BridgeRequest(host: host, port: port, token: try token.map(AccessToken.read))
        } catch {
            say("\(error)")
            throw ExitCode(1)
        }
        let name: String
        let path: String
        do {
            guard let found = try source ?? onlySource(bridge) else { throw ExitCode(1) }
            name = found
            path = "/api/sources/\(name.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed) ?? name)"
            let answer = try bridge.send("POST", "\(path)/release?seconds=\(hold)")
            guard answer.status == 200 else {
                say("the bridge did not release \(name): \(answer.body)")
                throw ExitCode(1)
            }
            say("\(answer.body); running \(command[0])")
        } catch BridgeRequest.Failure.noBridge(let reason) {
            say("\(reason); running the command with no port to release")
            throw ExitCode(runCommand(renewing: nil))
        } catch let failure as BridgeRequest.Failure {
            say(failure.description)
            throw ExitCode(1)
        }
        let status = runCommand(renewing: { _ = try? bridge.send("POST", "\(path)/release?seconds=\(hold)") })
        let reopen = try? bridge.send("POST", "\(path)/reopen")
        if reopen?.status == 200 {
            say("\(command[0]) ended (status \(status)); the bridge is reopening \(name)")
        } else {
            say("\(command[0]) ended (status \(status)); the bridge did not answer the reopen (\(reopen?.body ?? "no answer")): it reopens \(name) within \(hold) s by itself")
        }
        throw ExitCode(status)
    }

    /// The bridge's only source; with several, says which there are.
    private func onlySource(_ bridge: BridgeRequest) throws -> String? {
        let answer = try bridge.send("GET", "/api/sources")
        guard answer.status == 200 else {
            say("the bridge refused to list its sources: \(answer.body)")
            return nil
        }
        struct Listing: Decodable {
            struct Source: Decodable { var name: String }
            var sources: [Source]
        }
        guard let listing = try? JSONDecoder().decode(Listing.self, from: Data(answer.body.utf8)) else {
            say("\(host):\(port) did not list its sources as a bridge does")
            return nil
        }
        guard listing.sources.count == 1 else {
            say("the bridge has \(listing.sources.count) sources (\(listing.sources.map(\.name).joined(separator: ", "))): name the one to release")
            return nil
        }
        return listing.sources[0].name
    }

    /// Runs the command with this terminal, renewing the release while it runs; returns its
    /// exit status (128 + the signal that ended it). Ctrl-C reaches the command, and this
    /// process stays to have the port reopened.
    private func runCommand(renewing renew: (@Sendable () -> Void)?) -> Int32 {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = command
        signal(SIGINT) { _ in }  // caught, not ignored: the command still gets the default
        signal(SIGTERM) { _ in }
        do {
            try process.run()
        } catch {
            say("cannot run \(command[0]): \(error.localizedDescription)")
            return 127
        }
        // One queue for the renewals, waited on after the command: a renewal still on its way
        // when the command ends would otherwise reach the bridge after the reopen, and hold
        // the port again.
        let renewals = DispatchQueue(label: "sensorbridge.release.renewals")
        let renewer = renew.map { renew in
            let timer = DispatchSource.makeTimerSource(queue: renewals)
            let every = Double(hold) / 3
            timer.schedule(deadline: .now() + every, repeating: every)
            timer.setEventHandler { renew() }
            timer.resume()
            return timer
        }
        process.waitUntilExit()
        renewer?.cancel()
        renewals.sync {}
        return process.terminationReason == .uncaughtSignal ? 128 + process.terminationStatus : process.terminationStatus
    }

    private func say(_ text: String) {
        FileHandle.standardError.write(Data("sensorbridge release: \(text)\n".utf8))
    }
}
