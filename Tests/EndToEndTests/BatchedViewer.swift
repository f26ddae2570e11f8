import Foundation
import Synchronization
import TestSupport
#if canImport(Glibc)
import Glibc
#endif

/// A batched-stream viewer of one bridge: what a page would get, gathered as it comes.
final class Viewer {
    let client: TestWebSocketClient
    private(set) var channels: [String] = []
    private(set) var samples: [[Double]] = []
    private(set) var statuses: [(state: String, detail: String)] = []
    private(set) var answers: [[String: Any]] = []
    /// Samples the bridge told this viewer it skipped (`gap` messages).
    private(set) var skipped = 0
    /// Lines lost on the wire (`lost` messages), with the sample each came before.
    private(set) var lost: [(lines: Int, before: Int)] = []

    convenience init(_ bridge: BridgeProcess) throws { try self.init(bridge, source: nil) }

    /// - Parameter source: the bridge's source to watch (`/graph?source=NAME`); nil: the first.
    init(_ bridge: BridgeProcess, source: String?) throws {
        client = try TestWebSocketClient(port: bridge.port, receiveTimeout: 0.05)
        let path = "/graph" + (source.map { "?source=" + $0 } ?? "")
        guard try client.handshake(path: path, protocols: ["sensorbridge.batch.v1"]).statusCode == 101 else {
            throw NSError(domain: "no upgrade", code: 1)
        }
    }

    /// Reads what has arrived (up to `seconds`) until `done` holds; whether it does (a
    /// caller checks it: a wait whose end is not looked at proves nothing).
    func read(seconds: TimeInterval = 15, until done: (Viewer) -> Bool) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while !done(self), Date() < deadline {
            guard let text = try? client.readText(),
                  let message = (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any] else { continue }
            switch message["type"] as? String {
            case "hello":
                if let names = message["channels"] as? [String], !names.isEmpty { channels = names }
                statuses.append((message["state"] as? String ?? "", message["detail"] as? String ?? ""))
            case "channels":
                channels = message["channels"] as? [String] ?? channels
            case "samples":
                samples += (message["samples"] as? [[Double]]) ?? []
            case "status":
                statuses.append((message["state"] as? String ?? "", message["detail"] as? String ?? ""))
            case "gap":
                skipped += (message["missed"] as? Int) ?? 0
            case "lost":
                lost.append(((message["lines"] as? Int) ?? -1, (message["seq"] as? Int) ?? -1))
            case "sent", "send-refused":
                answers.append(message)
            default:
                break
            }
        }
        return done(self)
    }

    /// Reads whatever arrives for `seconds`: for a check that nothing of a kind comes.
    func collect(seconds: TimeInterval) {
        _ = read(seconds: seconds) { _ in false }
    }

    /// The samples' values without their time stamps.
    var values: [[Double]] { samples.map { Array($0.dropFirst()) } }
    var lastState: String? { statuses.last?.state }
}

/// Rows no one would pick by hand, so a lost, repeated or shifted one shows.
func row(_ index: Int) -> [Double] {
    [Double(index), Double((index * 37) % 1000), Double(1000 - index % 997)]
}

func line(_ index: Int) -> String { row(index).map { String(Int($0)) }.joined(separator: ",") + "\r\n" }

func mqttReport(_ status: [String: Any], role: String) -> [String: Any] {
    ((status["mqtt"] as? [[String: Any]]) ?? []).first { $0["role"] as? String == role } ?? [:]
}

func number(_ report: [String: Any], _ key: String) -> Int { (report[key] as? NSNumber)?.intValue ?? -1 }

func state(_ status: [String: Any]) -> String? { (status["source"] as? [String: Any])?["state"] as? String }

/// A board writing `line(i)` for i = `from`, `from`+1, … into a pty every `intervalMicros`,
/// on a thread of its own, until `stop()`, which says how far it got.
final class PacedBoard {
    private final class Progress: Sendable {
        let written: Atomic<Int>
        let writing = Atomic<Bool>(true)
        init(_ first: Int) { written = Atomic(first) }
    }

    private let progress: Progress
    private let thread: Thread

    init(_ pty: PseudoTerminal, from first: Int = 0, intervalMicros: useconds_t) {
        let progress = Progress(first)
        let master = pty.master
        self.progress = progress
        thread = Thread {
            var index = first
            while progress.writing.load(ordering: .relaxed) {
                let bytes = Array(line(index).utf8)
                _ = bytes.withUnsafeBytes { Glibc.write(master, $0.baseAddress, $0.count) }
                index += 1
                progress.written.store(index, ordering: .relaxed)
                usleep(intervalMicros)
            }
        }
        thread.start()
    }

    /// Stops writing; the number of the line after the last one written.
    func stop() -> Int {
        progress.writing.store(false, ordering: .relaxed)
        while !thread.isFinished { usleep(10_000) }
        return progress.written.load(ordering: .relaxed)
    }
}
