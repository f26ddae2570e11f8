import Foundation
import SensorBridgeCore
import SensorBridgeStream
import Testing
@testable import SensorBridgeMQTT

private let xyz = ChannelLayout(names: ["x", "y", "z"], isNamedByDevice: true)

private func text(_ bytes: [UInt8]) -> String { String(decoding: bytes, as: UTF8.self) }

struct MQTTMessagesTests {
    @Test func samplesAreTheBatchedStreamsMessageAndReadBackExactly() throws {
        let samples = [
            Sample(timeMicros: 1_700_000_000_123_456, values: [512, 498.5, -3], layout: xyz),
            Sample(timeMicros: 1_700_000_000_143_000, values: [511, .nan, 0], layout: xyz),
        ]
        var layout: ChannelLayout? = xyz
        var payload: [UInt8] = []
        BatchMessages.encode(samples, firstSample: 41, layout: &layout) { _, message in payload = message }
        #expect(text(payload) == #"{"type":"samples","seq":41,"samples":[[1700000000123.456,512,498.5,-3],[1700000000143.000,511,null,0]]}"#)
        let read = try MQTTMessages.decode(payload)
        #expect(read == .samples(first: 41, rows: [
            .init(timeMicros: 1_700_000_000_123_456, values: [512, 498.5, -3]),
            .init(timeMicros: 1_700_000_000_143_000, values: [511, .nan, 0]),
        ]))
    }

    @Test func statusCarriesTheRunTheSourceAndThePresence() throws {
        let source = SourceStatus(kind: "serial", name: "/dev/ttyACM0", baud: 115_200, state: .connected, detail: "opened \"it\"")
        let payload = MQTTMessages.status(source, stream: "abc", nextSample: 7, presence: .online)
        #expect(text(payload) == #"{"type":"status","state":"connected","detail":"opened \"it\"","stream":"abc","seq":7,"source":{"kind":"serial","name":"/dev/ttyACM0","baud":115200},"bridge":"online"}"#)
        guard case .status(let status) = try MQTTMessages.decode(payload) else { Issue.record("not a status"); return }
        #expect(status.state == .connected && status.stream == "abc" && status.nextSample == 7)
        #expect(status.sourceName == "/dev/ttyACM0" && status.baud == 115_200 && status.presence == .online)

        guard case .status(let will) = try MQTTMessages.decode(MQTTMessages.lastWill(base: "lab/b", stream: "abc")) else {
            Issue.record("not a status"); return
        }
        #expect(will.state == .disconnected && will.presence == .gone && will.detail.contains("lab/b is gone"))
    }

    @Test(arguments: [
        ("", "not a sensorbridge message"),
        ("512,498,620", "not a sensorbridge message"),
        (#"{"type":"samples","samples":[[1,2]]}"#, "without seq"),
        (#"{"type":"samples","seq":1,"samples":[[null,2]]}"#, "without its time"),
        (#"{"type":"samples","seq":1,"samples":[["1",2]]}"#, "not a sensorbridge message"),
        (#"{"type":"status","state":"exploded"}"#, "no known state"),
        (#"{"type":"hello"}"#, "unknown type hello"),
    ])
    func foreignPayloadsAreRefusedWithAReason(payload: String, reason: String) {
        #expect {
            try MQTTMessages.decode(Array(payload.utf8))
        } throws: { error in
            "\(error)".contains(reason)
        }
    }
}
