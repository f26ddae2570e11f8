import Foundation
import Testing
import TestSupport
@testable import SensorBridgeCore
@testable import SensorBridgeServer

private func object(_ text: String) throws -> [String: Any] {
    try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
}

struct StreamRequestParsingTests {
    @Test func readsHistoryAndResume() {
        let request = StreamRequest(uri: "/graph?history=600&stream=abc123&after=41")
        #expect(request == StreamRequest(historySeconds: 600, resumeStream: "abc123", resumeAfter: 41))
    }

    @Test(arguments: ["/graph", "/graph?", "/graph?history=-1", "/graph?history=nan", "/graph?history=", "/graph?after=x&stream=",
                      "/graph?history", "/graph?&&"])
    func ignoresWhatItCannotRead(uri: String) {
        #expect(StreamRequest(uri: uri) == StreamRequest())
    }
}

/// `?history=`, `?stream=&after=` and partial lines, over real sockets.
@Suite(.serialized) struct StreamHistoryTests {
    @Test func aClientCanAskForMoreHistoryThanTheDefault() throws {
        let running = try RunningServer(capacity: 4096, history: 5)
        let now = WallClock.nowMicros()
        // 60 s of samples at 10 Hz, halfway between tenths of a second, so a few ms of test time move no boundary.
        for index in 0..<600 { running.publish([Double(index), 0, 0], at: now - 59_950_000 + Int64(index) * 100_000) }

        let plain = try running.client()
        try plain.handshake(path: "/graph", protocols: ["sensorbridge.batch.v1"])
        #expect(try object(try plain.readText())["history"] as? Int == 50, "the default is --history (5 s)")

        let more = try running.client()
        try more.handshake(path: "/graph?history=30", protocols: ["sensorbridge.batch.v1"])
        let hello = try object(try more.readText())
        #expect(hello["history"] as? Int == 300)
        #expect(hello["seq"] as? Int == 300)
        let all = try running.client()
        try all.handshake(path: "/graph?history=3600", protocols: ["sensorbridge.batch.v1"])
        #expect(try object(try all.readText())["history"] as? Int == 600, "bounded by what the bridge keeps")
        // The per-sample stream takes the same query.
        let perSample = try running.client()
        try perSample.handshake(path: "/graph?history=1", protocols: ["chat"])
        var received = 0
        perSample.setReceiveTimeout(0.5)
        while (try? perSample.readText()) != nil { received += 1 }
        #expect(received == 10)
    }

    @Test func aReconnectingClientResumesAfterItsLastSampleWithoutDuplicates() throws {
        let running = try RunningServer(capacity: 4096)
        for index in 0..<20 { running.publish([Double(index), 0, 0]) }
        let first = try running.client()
        try first.handshake(protocols: ["sensorbridge.batch.v1"])
        let hello = try object(try first.readText())
        let stream = try #require(hello["stream"] as? String)
        #expect(hello["state"] as? String == "connected")
        let batch = try object(try first.readText())
        #expect(batch["seq"] as? Int == 0)
        #expect((batch["samples"] as? [Any])?.count == 20)
        for index in 20..<30 { running.publish([Double(index), 0, 0]) }

        let again = try running.client()
        try again.handshake(path: "/graph?history=600&stream=\(stream)&after=19", protocols: ["sensorbridge.batch.v1"])
        let resumed = try object(try again.readText())
        #expect(resumed["seq"] as? Int == 20)
        #expect(resumed["history"] as? Int == 10)
        let rest = try object(try again.readText())
        #expect(rest["seq"] as? Int == 20)
        let values = try #require(rest["samples"] as? [[Double]]).map { $0[1] }
        #expect(values == (20..<30).map(Double.init))

        // Another stream's id (the bridge restarted): history by time, as for a new client.
        let other = try running.client()
        try other.handshake(path: "/graph?history=600&stream=zzz&after=25", protocols: ["sensorbridge.batch.v1"])
        #expect(try object(try other.readText())["history"] as? Int == 30)
    }

    @Test func aResumeOlderThanTheRingIsReportedAsAGap() throws {
        let running = try RunningServer(capacity: 16)
        for index in 0..<10 { running.publish([Double(index), 0, 0]) }
        let probe = try running.client()
        try probe.handshake(protocols: ["sensorbridge.batch.v1"])
        let stream = try #require(try object(try probe.readText())["stream"] as? String)
        for index in 10..<40 { running.publish([Double(index), 0, 0]) }
        let client = try running.client()
        try client.handshake(path: "/graph?stream=\(stream)&after=5", protocols: ["sensorbridge.batch.v1"])
        let hello = try object(try client.readText())
        #expect(hello["seq"] as? Int == 24)
        let gap = try object(try client.readText())
        #expect(gap["type"] as? String == "gap")
        #expect(gap["missed"] as? Int == 18)
        #expect(gap["seq"] as? Int == 24)
    }

    @Test func aSeriesMissingFromALineIsNullInBothStreams() throws {
        let running = try RunningServer()
        let layout = ChannelLayout(names: ["temp", "hum"], isNamedByDevice: true)
        running.stream.publish(Sample(timeMicros: WallClock.nowMicros(), values: [21.5, .nan], layout: layout))
        running.stream.publish(Sample(timeMicros: WallClock.nowMicros(), values: [.nan, 40], layout: layout))
        let perSample = try running.client()
        try perSample.handshake(protocols: ["chat"])
        let first = try perSample.readText()
        #expect(first.hasSuffix(",21.5,null]"))
        #expect(try perSample.readText().hasSuffix(",null,40]"))
        let batched = try running.client()
        try batched.handshake(protocols: ["sensorbridge.batch.v1"])
        #expect(try object(try batched.readText())["channels"] as? [String] == ["temp", "hum"])
        let samples = try #require(try object(try batched.readText())["samples"] as? [[Any]])
        #expect(samples.count == 2)
        #expect(samples[0][2] is NSNull)
        #expect(samples[1][1] is NSNull)
    }
}
