import Foundation
import Synchronization
import Testing
import TestSupport
#if canImport(Glibc)
import Glibc
#endif

/// The sketch in `hardware/`, compiled by arduino-mk and run in simavr by our harness
/// (`hardware/simulator`), feeding the bridge through a real pseudo-terminal: the firmware's
/// own timing, its own formatting, its own command parser. `scripts/test.sh` builds both
/// (`make -C hardware/adxl335_graph`, `make -C hardware/simulator`) before the tests run.
@Suite(.serialized) struct FirmwareTests {
    /// The running harness: its pty, and its stdin to start the CPU.
    final class Simulator {
        let process = Process()
        private let input = Pipe()
        private let output = Pipe()
        let pty: String

        static let harness = BridgeProcess.packageRoot + "/hardware/simulator/build/sensorsim"
        static func firmware(baud: Int) -> String {
            BridgeProcess.packageRoot + "/hardware/adxl335_graph/build-uno-\(baud)/adxl335_graph.elf"
        }

        init(baud: Int, waveform: String) throws {
            for file in [Self.harness, Self.firmware(baud: baud)] where !FileManager.default.fileExists(atPath: file) {
                throw NSError(domain: "firmware", code: 1, userInfo: [NSLocalizedDescriptionKey:
                    "\(file) is missing: run `make -C hardware/adxl335_graph BAUD=\(baud)` and `make -C hardware/simulator` (scripts/test.sh does)"])
            }
            process.executableURL = URL(fileURLWithPath: Self.harness)
            process.arguments = [Self.firmware(baud: baud), "--waveform", waveform, "--hold"]
            process.standardInput = input
            process.standardOutput = output
            process.standardError = FileHandle.standardError
            try process.run()
            var text = ""
            let deadline = Date().addingTimeInterval(10)
            while !text.contains("\npty ") && !text.hasPrefix("pty "), Date() < deadline {
                text += String(decoding: output.fileHandleForReading.availableData, as: UTF8.self)
            }
            guard let line = text.split(separator: "\n").first(where: { $0.hasPrefix("pty ") }) else {
                throw NSError(domain: "firmware", code: 2, userInfo: [NSLocalizedDescriptionKey: "the harness named no pty: \(text)"])
            }
            pty = String(line.dropFirst(4))
        }

        /// Powers the chip on: its first line goes to whoever has the pty open.
        func start() { input.fileHandleForWriting.write(Data("go\n".utf8)) }

        deinit {
            if process.isRunning { process.terminate(); process.waitUntilExit() }
        }
    }

    /// A batched-stream client: collects samples, status and send answers.
    struct BatchedMessages {
        var channels: [String] = []
        var samples: [[Double]] = []
        var answers: [[String: Any]] = []
    }

    private func read(_ client: TestWebSocketClient, into messages: inout BatchedMessages, until done: (BatchedMessages) -> Bool) throws {
        while !done(messages) {
            let text = try client.readText()
            guard let message = try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any],
                  let type = message["type"] as? String else { continue }
            switch type {
            case "hello", "channels":
                if let names = message["channels"] as? [String], !names.isEmpty { messages.channels = names }
            case "samples":
                messages.samples += (message["samples"] as? [[Double]]) ?? []
            case "sent", "send-refused":
                messages.answers.append(message)
            default:
                break
            }
        }
    }

    /// Counts nobody would pick by hand, so a shifted, repeated or dropped reading shows.
    private func waveform(rows: Int) throws -> (path: String, rows: [[Double]]) {
        var values: [[Double]] = []
        var text = ""
        for i in 0..<rows {
            let counts: [Int] = [(i * 37 + 5) % 1024, 1023 - (i * 11) % 1024, (i * i) % 1021]
            values.append(counts.map(Double.init))
            text += counts.map(String.init).joined(separator: ",") + "\n"
        }
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("waveform-\(UUID().uuidString).csv").path
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return (path, values)
    }

    /// Seconds per sample over `samples` (arrival stamps in milliseconds), first to last.
    private func period(_ samples: ArraySlice<[Double]>) -> Double {
        (samples.last![0] - samples.first![0]) / 1000 / Double(samples.count - 1)
    }

    @Test func theBridgeDeliversExactlyTheCountsTheADCWasFedAtTheSketchsRate() throws {
        let wave = try waveform(rows: 400)
        defer { unlink(wave.path) }
        let recording = FileManager.default.temporaryDirectory.appendingPathComponent("firmware-\(UUID().uuidString).log").path
        defer { unlink(recording) }
        let simulator = try Simulator(baud: 9600, waveform: wave.path)
        let bridge = try BridgeProcess([simulator.pty, "--baud", "9600", "--record", recording])
        let client = try TestWebSocketClient(port: bridge.port)
        #expect(try client.handshake(protocols: ["sensorbridge.batch.v1"]).statusCode == 101)
        waitForStatus(bridge) { ($0["clients"] as? [Any])?.count == 1 }
        simulator.start()

        var messages = BatchedMessages()
        try read(client, into: &messages) { $0.samples.count >= 200 }
        #expect(messages.channels == ["x", "y", "z"], "the sketch's header names the channels")
        let received = messages.samples.prefix(200).map { Array($0.dropFirst()) }
        #expect(received == Array(wave.rows.prefix(200)), "every count the harness fed, in order, none lost or repeated")
        let seconds = period(messages.samples.prefix(200))
        print("firmware at 9600 baud: \(1 / seconds) samples/s")
        #expect(abs(seconds - 0.020) <= 0.020 * 0.05, "the sketch's 50 Hz within 5 %: \(1 / seconds) Hz")
        #expect(bridge.stop() == 0)

        // The recording holds the firmware's own lines: header, then the fed counts, zero-padded.
        let rows = try String(contentsOfFile: recording, encoding: .utf8).split(separator: "\n").filter { !$0.hasPrefix("#") }
        #expect(rows.first?.hasSuffix(" x,y,z") == true)
        let lines = rows.dropFirst().prefix(200).map { String($0.split(separator: " ", maxSplits: 1)[1]) }
        #expect(lines == wave.rows.prefix(200).map { $0.map { String(format: "%03d", Int($0)) }.joined(separator: ",") })
    }

    @Test func aLineSentFromAClientChangesTheFirmwaresRate() throws {
        let wave = try waveform(rows: 1000)
        defer { unlink(wave.path) }
        let simulator = try Simulator(baud: 115_200, waveform: wave.path)
        let bridge = try BridgeProcess([simulator.pty, "--baud", "115200", "--allow-send"])
        let client = try TestWebSocketClient(port: bridge.port)
        try client.handshake(protocols: ["sensorbridge.batch.v1"])
        waitForStatus(bridge) { ($0["clients"] as? [Any])?.count == 1 }
        simulator.start()

        var messages = BatchedMessages()
        try read(client, into: &messages) { $0.samples.count >= 60 }
        let before = period(messages.samples[10..<60])
        let send = { (line: String) in
            let json = try JSONSerialization.data(withJSONObject: ["type": "send", "line": line, "ending": "crlf"])
            try client.sendFrame(opcode: 0x1, payload: Array(json))
        }
        try send("?")
        try send("rate 100")
        try read(client, into: &messages) { $0.answers.count >= 2 }
        #expect(messages.answers.map { $0["type"] as? String } == ["sent", "sent"])

        // The raw monitor shows the lines sent and the sketch's replies, which are no samples.
        var texts: [String] = []
        let deadline = Date().addingTimeInterval(5)
        while !texts.contains("message # rate 100 Hz"), Date() < deadline {
            let (status, body) = try bridge.get("/api/lines")
            #expect(status == 200)
            let lines = try #require((try JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any])?["lines"] as? [[String: Any]])
            texts = lines.map { "\($0["kind"]!) \($0["text"]!)" }
        }
        #expect(texts.contains("sent ?") && texts.contains("sent rate 100"))
        #expect(texts.contains { $0.hasPrefix("message # rate 50 Hz, baud 115200") }, "the answer to ?")
        #expect(texts.contains("message # rate 100 Hz"))
        let switched = messages.samples.count + 10  // lines already on their way at the old rate
        try read(client, into: &messages) { $0.samples.count >= switched + 200 }
        let after = period(messages.samples[switched..<(switched + 200)])
        print("firmware at 115200 baud: \(1 / before) samples/s, after `rate 100`: \(1 / after)")
        #expect(abs(before - 0.020) <= 0.020 * 0.05, "50 Hz before: \(1 / before)")
        #expect(abs(after - 0.010) <= 0.010 * 0.05, "100 Hz after: \(1 / after)")
        #expect(messages.samples.map { Array($0.dropFirst()) } == Array(wave.rows.prefix(messages.samples.count)),
                "the values stay exact across the change")

        #expect(bridge.stop() == 0)
    }

    /// Without `--allow-send`, from a recording, or from a page of another site: a reason, and nothing written.
    @Test func sendingIsRefusedWithAReasonWhenItCannotOrMayNotHappen() throws {
        let pty = try PseudoTerminal()
        let answer = { (bridge: BridgeProcess, origin: String?) throws -> [String: Any] in
            let client = try TestWebSocketClient(port: bridge.port)
            try client.handshake(protocols: ["sensorbridge.batch.v1"], extraHeaders: origin.map { ["Origin: \($0)"] } ?? [])
            let json = try JSONSerialization.data(withJSONObject: ["type": "send", "line": "rate 100"])
            try client.sendFrame(opcode: 0x1, payload: Array(json))
            var messages = BatchedMessages()
            try self.read(client, into: &messages) { !$0.answers.isEmpty }
            return messages.answers[0]
        }
        let off = try BridgeProcess([pty.slavePath])
        let refusedOff = try answer(off, nil)
        #expect(refusedOff["type"] as? String == "send-refused")
        #expect(refusedOff["reason"] as? String == "sending to the board is off; start the bridge with --allow-send")
        #expect(off.stop() == 0)

        let open = try BridgeProcess([pty.slavePath, "--allow-send", "--allow-origin", "*"])
        let foreign = try answer(open, "https://evil.example")
        #expect((foreign["reason"] as? String)?.contains("may read this stream but not send") == true)
        #expect(open.stop() == 0)
        #expect(!pty.readAvailable().contains("rate"), "nothing reached the board")

        let replay = try BridgeProcess(["--replay", BridgeProcess.packageRoot + "/hardware/recordings/tilt-60s-50hz.log", "--allow-send"])
        #expect((try answer(replay, nil)["reason"] as? String)?.contains("replaying a recording") == true)
        #expect(replay.stop() == 0)
    }
}
