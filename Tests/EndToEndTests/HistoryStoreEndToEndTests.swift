import Foundation
import Testing
import TestSupport
#if canImport(Glibc)
import Glibc
#endif

/// Runs the built binary to its end (import, export) and returns its exit status and output.
func runBinary(_ arguments: [String]) throws -> (status: Int32, output: String, errors: String) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: BridgeProcess.binaryPath)
    process.arguments = arguments
    let out = Pipe(), err = Pipe()
    process.standardOutput = out
    process.standardError = err
    process.standardInput = FileHandle.nullDevice
    try process.run()
    let output = out.fileHandleForReading.readDataToEndOfFile()
    let errors = err.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return (process.terminationStatus, String(decoding: output, as: UTF8.self), String(decoding: errors, as: UTF8.self))
}

/// The `/api/...` JSON of a bridge.
func json(_ bridge: BridgeProcess, _ path: String) throws -> (status: Int, value: Any) {
    let (status, body) = try bridge.get(path)
    return (status, try JSONSerialization.jsonObject(with: Data(body.utf8)))
}

/// The CSV rows `export` writes for a store (header dropped).
func exportedRows(_ store: String) throws -> [[String]] {
    let result = try runBinary(["export", "--store", store])
    #expect(result.status == 0, "export: \(result.errors)")
    return result.output.split(separator: "\n").dropFirst().map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
}

@Suite(.serialized) struct HistoryStoreEndToEndTests {
    /// A board on a pty, the bridge killed with SIGKILL mid-stream: everything it had
    /// received up to a second before is in the store, in order, and the store opens again.
    @Test func aSigkillLosesAtMostTheLastSecond() throws {
        let folder = try TemporaryFolder("sensorbridge-store")
        let store = folder.file("board.sqlite")
        let pty = try PseudoTerminal()
        let bridge = try BridgeProcess([pty.slavePath, "--baud", "115200", "--store", store])
        waitForStatus(bridge) { ($0["store"] as? [String: Any])?["state"] as? String == "writing" }
        var sentAt: [Date] = []
        for index in 0..<400 {
            pty.write("\(index),\(index * 2),\(1000 - index)\r\n")
            sentAt.append(Date())
            usleep(5_000)  // 200 lines a second for 2 s
        }
        let status = waitForStatus(bridge) { ($0["samples"] as? Int) == 400 }
        #expect(status["samples"] as? Int == 400)
        let killedAt = Date()
        #expect(bridge.stop(signal: SIGKILL) != nil)
        let rows = try exportedRows(store)
        let receivedBefore = sentAt.filter { killedAt.timeIntervalSince($0) > 1.0 }.count
        #expect(rows.count >= receivedBefore, "\(rows.count) stored, \(receivedBefore) sent more than a second before the kill")
        for (index, row) in rows.enumerated() {
            #expect(Array(row.dropFirst()) == ["\(index)", "\(index * 2)", "\(1000 - index)"])
        }
        // It opens again: a new bridge adds a second session after the first.
        let again = try BridgeProcess([pty.slavePath, "--baud", "115200", "--store", store])
        waitForStatus(again) { ($0["store"] as? [String: Any])?["state"] as? String == "writing" }
        // Two lines: a stream's first line waits for the next (which times it) before it is
        // a sample, so one line alone never reaches the store.
        pty.write("7,7,7\r\n8,8,8\r\n")
        waitForStatus(again) { ($0["store"] as? [String: Any])?["samplesStored"] as? Int ?? 0 >= 1 }
        let sessions = try #require(try json(again, "/api/sessions").value as? [[String: Any]])
        #expect(sessions.count == 2)
        #expect(sessions.first?["open"] as? Bool == false && sessions.last?["open"] as? Bool == true)
        #expect(sessions.first?["samples"] as? Int == rows.count)
        #expect(again.stop() == 0)
    }

    @Test func aSecondBridgeOnTheSameStoreAndAForeignFileAreRefusedWithASentence() throws {
        let folder = try TemporaryFolder("sensorbridge-store")
        let store = folder.file("shared.sqlite")
        let first = try BridgeProcess(["--replay", BridgeProcess.packageRoot + "/hardware/recordings/tilt-60s-50hz.log", "--store", store])
        let second = try BridgeProcess(["--replay", BridgeProcess.packageRoot + "/hardware/recordings/tilt-60s-50hz.log", "--store", store],
                                       waitForListening: false)
        #expect(second.waitForExit(timeout: 10) == 1)
        #expect(second.standardError.contains("in use by another sensorbridge"))
        #expect(first.stop() == 0)

        let notes = folder.file("notes.txt")
        try Data("not a database\n".utf8).write(to: URL(fileURLWithPath: notes))
        let refused = try BridgeProcess(["--replay", BridgeProcess.packageRoot + "/hardware/recordings/tilt-60s-50hz.log", "--store", notes],
                                        waitForListening: false)
        #expect(refused.waitForExit(timeout: 10) == 1)
        #expect(refused.standardError.contains("is not a sensorbridge store"))
        #expect(try String(contentsOfFile: notes, encoding: .utf8) == "not a database\n")
    }

    /// import → archive → history and export over HTTP, and the replay that keeps nothing.
    @Test func anImportedRecordingIsServedByAnArchive() throws {
        let folder = try TemporaryFolder("sensorbridge-store")
        let store = folder.file("tilt.sqlite")
        let log = BridgeProcess.packageRoot + "/hardware/recordings/tilt-60s-50hz.log"
        let imported = try runBinary(["import", log, "--store", store])
        #expect(imported.status == 0 && imported.output.contains("3000 samples"), "\(imported)")
        let archive = try BridgeProcess(["--archive", store])
        let sessions = try #require(try json(archive, "/api/sessions").value as? [[String: Any]])
        #expect(sessions.count == 1 && sessions[0]["samples"] as? Int == 3000 && sessions[0]["source"] as? String == "tilt-60s-50hz")
        let start = try #require(sessions[0]["start"] as? Double)
        let history = try #require(try json(archive, "/api/history?from=\(Int(start))&to=\(Int(start) + 60_000)&points=100").value as? [String: Any])
        #expect((history["n"] as? [Int])?.reduce(0, +) == 3000)
        #expect((history["t0"] as? [Double])?.count ?? 0 <= 100)
        #expect(history["channels"] as? [String] == ["x", "y", "z"])
        let lines = try shippedTiltLines(5)
        let first = try #require(try json(archive, "/api/history?from=\(Int(start))&to=\(Int(start) + 100)&points=100").value as? [String: Any])
        #expect(first["exact"] as? Bool == true)
        #expect((first["min"] as? [[Double]])?.first == lines.map { expectedValues($0.line)[0] })
        let bad = try archive.get("/api/history?from=yesterday")
        #expect(bad.status == 400 && bad.body.contains("is not a time"))
        #expect(try archive.get("/api/history?source=nope").status == 404)
        let status = try #require(try json(archive, "/api/status").value as? [String: Any])
        #expect((status["store"] as? [String: Any])?["state"] as? String == "archive")
        #expect(archive.stop() == 0)

        // Times are stored to the ms (rounded down) unless --store-micros keeps the µs the
        // recording has (0.020186 s after its start, …).
        for (extra, micros) in [([String](), false), (["--store-micros"], true)] {
            let file = folder.file("tilt-\(micros).sqlite")
            #expect(try runBinary(["import", log, "--store", file] + extra).status == 0)
            let csv = try runBinary(["export", "--store", file])
            let times = csv.output.split(separator: "\n").dropFirst().map { $0.split(separator: ",")[0] }
            #expect(times.count == 3000)
            #expect(times.allSatisfy { $0.hasSuffix(".000") } == !micros, "\(times.prefix(3))")
            #expect(times.count > 1 && times[1].hasSuffix(micros ? "020.186" : "020.000"), "\(times.prefix(3))")
        }

        // A replay keeps no history unless given --store.
        let replay = try BridgeProcess(["--replay", log])
        let off = try replay.get("/api/history")
        #expect(off.status == 404 && off.body.contains("--no-store"))
        #expect(replay.stop() == 0)
    }

    /// `import` takes the live bridge's options for the columns that are not series, refuses
    /// them as it does, stores the lines a sketch's counter says were lost as `lost` events,
    /// times samples by the board's clock, and says what it found.
    @Test func anImportTakesTheBoardsColumnsAsALiveBridgeDoes() throws {
        let folder = try TemporaryFolder("sensorbridge-store")
        let recording = NumberedClockRecording(counter: "n", clock: "tick", microseconds: true)
        let log = folder.file("board.log")
        try recording.write(to: log)
        let store = folder.file("board.sqlite")
        for arguments in [["--time-unit", "us"], ["--time-column", "none", "--time-unit", "us"]] {
            let refused = try runBinary(["import", log, "--store", store] + arguments)
            #expect(refused.status == 64, "\(refused)")
            #expect(refused.errors.contains("--time-unit says what --time-column counts in: give --time-column NAME with it"), "\(refused.errors)")
        }
        #expect(!FileManager.default.fileExists(atPath: store), "refused before the store is made")

        let imported = try runBinary(["import", log, "--store", store, "--time-column", "tick", "--time-unit", "us", "--counter-column", "n"])
        #expect(imported.status == 0, "\(imported)")
        #expect(imported.output.contains("\(recording.sent.count) samples"), "\(imported.output)")
        #expect(imported.output.contains("column 'tick' is the board's clock (us)"), "\(imported.output)")
        #expect(imported.output.contains("column 'n' numbers the sketch's lines: 4 lines lost on the wire"), "\(imported.output)")
        let rows = try exportedRows(store)
        #expect(rows.map { $0[1] } == recording.sent.map { String($0 * 3) }, "the values, and no counter or clock series")
        for (row, line) in zip(rows, recording.sent) where line >= 3 {
            #expect(Int64((Double(row[0])! * 1000).rounded()) == NumberedClockRecording.boardTimeMicros(line: line), "line \(line): \(row)")
        }
        let archive = try BridgeProcess(["--archive", store])
        let start = NumberedClockRecording.startMicros / 1000
        let history = try #require(try json(archive, "/api/history?from=\(start - 60_000)&to=\(start + 60_000)").value as? [String: Any])
        let lost = (history["events"] as? [[String: Any]] ?? []).filter { $0["state"] as? String == "lost" }
        #expect(lost.map { $0["detail"] as? String } == ["3 lines lost on the wire (the sketch's line counter)", "1 line lost on the wire (the sketch's line counter)"])
        #expect(lost.map { $0["t"] as? Double } == [53, 121].map { Double(NumberedClockRecording.boardTimeMicros(line: $0)) / 1000 })
        #expect(archive.stop() == 0)

        // Without options, as a live bridge: the columns are found by their names.
        try NumberedClockRecording().write(to: folder.file("named.log"))
        let found = try runBinary(["import", folder.file("named.log"), "--store", folder.file("named.sqlite")])
        #expect(found.status == 0, "\(found)")
        #expect(found.output.contains("column 'ms' is the board's clock (ms)"), "\(found.output)")
        #expect(found.output.contains("column 'seq' numbers the sketch's lines: 4 lines lost on the wire"), "\(found.output)")
    }

    /// `/api/export` streams a whole recording's samples; clients that stop reading are
    /// closed after `--client-timeout` and never hold the export threads from others.
    @Test func exportsStreamAndStalledDownloadsGiveWay() throws {
        let folder = try TemporaryFolder("sensorbridge-store")
        let store = folder.file("hour.sqlite")
        var log = "# sensorbridge recording v1\n# started 1764417600.000000 source test\n"
        for index in 0..<100_000 { log += String(format: "%.6f %d,%d,%d\n", Double(index) * 0.01, index % 1024, (index * 7) % 1024, 5) }
        try Data(log.utf8).write(to: URL(fileURLWithPath: folder.file("long.log")))
        #expect(try runBinary(["import", folder.file("long.log"), "--store", store]).status == 0)
        let archive = try BridgeProcess(["--archive", store, "--client-timeout", "1"])
        // Three downloads that never read past their first bytes: more than the export threads.
        let stalled = try (0..<3).map { _ -> TestWebSocketClient in
            let client = try TestWebSocketClient(port: archive.port)
            try client.send(Array("GET /api/export?format=csv HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".utf8))
            return client
        }
        let began = Date()
        let curl = Process()
        curl.executableURL = URL(fileURLWithPath: "/usr/bin/curl")
        curl.arguments = ["-sf", "-m", "30", "-o", folder.file("out.csv"), "http://127.0.0.1:\(archive.port)/api/export?format=csv"]
        try curl.run()
        curl.waitUntilExit()
        #expect(curl.terminationStatus == 0)
        #expect(Date().timeIntervalSince(began) < 20)
        let rows = try String(contentsOfFile: folder.file("out.csv"), encoding: .utf8).split(separator: "\n")
        #expect(rows.count == 100_001)
        #expect(rows.first == "time,x,y,z")
        #expect(rows[1] == "1764417600000.000,0,0,5")
        #expect(rows.last == "1764418599990.000,671,601,5")
        // History queries were never queued behind them.
        #expect(try archive.get("/api/history?points=10").status == 200)
        _ = stalled
        #expect(archive.stop() == 0)
    }

    /// An archive bridge on another machine's board: a relay with `--store` keeps what the
    /// edge publishes through a real broker, every sample with the edge's values.
    @Test func aRelayKeepsTheHistoryOfABoardReadElsewhere() throws {
        let folder = try TemporaryFolder("sensorbridge-store")
        let broker = try MosquittoBroker()
        let url = "mqtt://127.0.0.1:\(broker.port)/test/" + UUID().uuidString.prefix(8).lowercased()
        let pty = try PseudoTerminal()
        let edge = try BridgeProcess([pty.slavePath, "--baud", "115200", "--mqtt", url, "--no-store"])
        let store = folder.file("relay.sqlite")
        let relay = try BridgeProcess(["--source", url, "--store", store])
        let ready = waitForStatus(relay) { state($0) == "connected" && mqttReport($0, role: "relay")["connected"] as? Bool == true }
        #expect(state(ready) == "connected")
        let rows = 300
        for index in 0..<rows {
            pty.write(line(index))
            usleep(3_000)
        }
        let stored = waitForStatus(relay) { ($0["store"] as? [String: Any])?["samplesStored"] as? Int == rows }
        #expect((stored["store"] as? [String: Any])?["samplesStored"] as? Int == rows)
        #expect(relay.stop() == 0)
        #expect(edge.stop() == 0)
        let exported = try exportedRows(store)
        #expect(exported.count == rows)
        let values = exported.map { $0.dropFirst().map { Double($0)! } }
        #expect(values == (0..<rows).map(row), "the relay's store holds the edge's samples in order")
        let sessions = try runBinary(["export", "--store", store, "--format", "recording"])
        #expect(sessions.output.hasPrefix("# sensorbridge recording v1"))
    }

    /// A store on a full disk (a small tmpfs): the stream goes on untouched, the store says it
    /// is paused, and it writes again by itself when space comes back.
    @Test(.enabled(if: getuid() == 0, "mounting a tmpfs needs root"))
    func aFullDiskPausesTheStoreAndNothingElse() throws {
        let folder = try TemporaryFolder("sensorbridge-store")
        let mount = folder.file("disk")
        try FileManager.default.createDirectory(atPath: mount, withIntermediateDirectories: true)
        let mounted = try runProcess("/bin/mount", ["-t", "tmpfs", "-o", "size=1200k", "tmpfs", mount])
        try #require(mounted == 0, "mount failed")
        defer { _ = try? runProcess("/bin/umount", ["-l", mount]) }
        let filler = mount + "/filler"
        let pty = try PseudoTerminal()
        let bridge = try BridgeProcess([pty.slavePath, "--baud", "115200", "--store", mount + "/board.sqlite"])
        waitForStatus(bridge) { ($0["store"] as? [String: Any])?["state"] as? String == "writing" }
        // Fill what is left of the disk.
        _ = try runProcess("/bin/sh", ["-c", "dd if=/dev/zero of=\(filler) bs=4k 2>/dev/null; sync"])
        let viewer = try Viewer(bridge)
        let rows = 3000
        for index in 0..<rows {
            pty.write("\(index),\(index % 7),\(index % 13),\(index % 17),\(index % 19),\(index % 23)\r\n")
            if index % 10 == 0 { usleep(10_000) }
        }
        viewer.read { $0.samples.count >= rows }
        #expect(viewer.samples.count == rows, "every sample reached the viewer")
        let paused = waitForStatus(bridge) { ($0["store"] as? [String: Any])?["state"] as? String == "paused" }
        let store = try #require(paused["store"] as? [String: Any])
        #expect(store["state"] as? String == "paused")
        #expect((store["detail"] as? String)?.contains("full") == true)
        #expect(try bridge.get("/metrics").body.contains("sensorbridge_store_writing 0"))
        #expect(bridge.standardError.contains("is paused: the disk is full"))
        // Space again: it resumes by itself.
        try FileManager.default.removeItem(atPath: filler)
        let resumed = waitForStatus(bridge, timeout: 15) { ($0["store"] as? [String: Any])?["state"] as? String == "writing" }
        #expect((resumed["store"] as? [String: Any])?["state"] as? String == "writing")
        pty.write("1,2,3,4,5,6\r\n")
        let stored = waitForStatus(bridge) { report in
            let store = report["store"] as? [String: Any]
            return (store?["samplesStored"] as? Int ?? 0) + (store?["samplesLost"] as? Int ?? 0) == rows + 1
        }
        let report = try #require(stored["store"] as? [String: Any])
        let kept = (report["samplesStored"] as? Int ?? 0) + (report["samplesLost"] as? Int ?? 0)
        #expect(kept == rows + 1, "every sample stored or counted as lost: \(report)")

        #expect(bridge.stop() == 0)
    }
}

/// Runs a program and returns its exit status.
func runProcess(_ path: String, _ arguments: [String]) throws -> Int32 {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: path)
    process.arguments = arguments
    process.standardOutput = FileHandle.nullDevice
    process.standardError = FileHandle.nullDevice
    try process.run()
    process.waitUntilExit()
    return process.terminationStatus
}
