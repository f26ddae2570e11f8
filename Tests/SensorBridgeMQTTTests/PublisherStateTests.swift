import Foundation
import SensorBridgeCore
import SensorBridgeStream
import Testing
@testable import SensorBridgeMQTT

private func text(_ bytes: [UInt8]) -> String { String(decoding: bytes, as: UTF8.self) }

private func makeStream() -> SensorStream {
    SensorStream(source: SourceStatus(kind: .serial, name: "/dev/ttyACM0", baud: 9600))
}

private func describe(_ messages: [PublisherState.Message]) -> [String] {
    messages.map { "\($0.topic)\($0.retain ? " (retained)" : "") \(text($0.payload))" }
}

struct PublisherStateTests {
    let address = try! MQTTAddress(parsing: "mqtt://127.0.0.1/lab/b1")

    @Test func samplesGoOutInBatchesWithTheNamesRetainedBeforeThem() {
        let stream = makeStream()
        var state = PublisherState(address: address, stream: stream, homeAssistantPrefix: nil, maxSamplesPerMessage: 100)
        let greeting = describe(state.greeting())
        #expect(greeting.count == 1 && greeting[0].hasPrefix("lab/b1/status (retained) {\"type\":\"status\",\"state\":\"starting\""))

        stream.updateSource(state: .connected, detail: "opened")
        let xyz = ChannelLayout(names: ["x", "y", "z"], isNamedByDevice: false)
        let named = ChannelLayout(names: ["ax", "ay"], isNamedByDevice: true)
        stream.publish(Sample(timeMicros: 1_000, values: [1, 2, 3], layout: xyz))
        stream.publish(Sample(timeMicros: 2_000, values: [4, 5, 6], layout: xyz))
        stream.publish(Sample(timeMicros: 3_000, values: [7, 8], layout: named))
        let (out, dropped) = state.take(stream.read(from: state.cursor), connected: true)
        #expect(dropped == 0)
        #expect(describe(out) == [
            #"lab/b1/status (retained) {"type":"status","state":"connected","detail":"opened","stream":"\#(stream.streamID)","seq":0,"source":{"kind":"serial","name":"/dev/ttyACM0","baud":9600},"bridge":"online"}"#,
            #"lab/b1/channels (retained) {"type":"channels","seq":0,"channels":["x","y","z"]}"#,
            #"lab/b1/samples {"type":"samples","seq":0,"stream":"\#(stream.streamID)","samples":[[1.000,1,2,3],[2.000,4,5,6]]}"#,
            #"lab/b1/channels (retained) {"type":"channels","seq":2,"channels":["ax","ay"]}"#,
            #"lab/b1/samples {"type":"samples","seq":2,"stream":"\#(stream.streamID)","samples":[[3.000,7,8]]}"#,
        ])
        #expect(out.map(\.samples) == [0, 0, 2, 0, 1])
        #expect(state.take(stream.read(from: state.cursor), connected: true).out.isEmpty, "nothing new, nothing sent")
    }

    @Test func withoutABrokerSamplesAreCountedAsDroppedAndTheNextConnectionSaysWhereThingsStand() {
        let stream = makeStream()
        var state = PublisherState(address: address, stream: stream, homeAssistantPrefix: nil, maxSamplesPerMessage: 100)
        let xyz = ChannelLayout.defaultNames(count: 3)
        stream.updateSource(state: .connected, detail: "opened")
        for index in 0..<5 { stream.publish(Sample(timeMicros: Int64(index), values: [1, 2, 3], layout: xyz)) }
        stream.updateSource(state: .disconnected, detail: "unplugged")
        let (out, dropped) = state.take(stream.read(from: state.cursor), connected: false)
        #expect(out.isEmpty && dropped == 5)
        let greeting = describe(state.greeting())
        #expect(greeting.count == 2)
        #expect(greeting[0].contains(#""state":"disconnected","detail":"unplugged""#) && greeting[0].contains(#""seq":5"#))
        #expect(greeting[1] == #"lab/b1/channels (retained) {"type":"channels","seq":5,"channels":["x","y","z"]}"#)
        #expect(text(state.farewell().payload).contains(#""state":"stopped""#) && text(state.farewell().payload).contains(#""bridge":"stopped""#))
    }

    /// Lines lost on the wire go out as the `lost` of the samples message that begins with the
    /// sample after them, so a relay's viewers see the break where the edge's do.
    @Test func linesLostOnTheWireGoOutWithTheSampleAfterThem() {
        let stream = makeStream()
        var state = PublisherState(address: address, stream: stream, homeAssistantPrefix: nil, maxSamplesPerMessage: 100)
        let xyz = ChannelLayout.defaultNames(count: 3)
        for index in 0..<4 {
            var sample = Sample(timeMicros: Int64(index) * 1_000, values: [1, 2, 3], layout: xyz)
            if index == 2 { sample.linesLostBefore = 3 }
            stream.publish(sample)
        }
        let out = state.take(stream.read(from: state.cursor), connected: true).out.filter { $0.topic == "lab/b1/samples" }
        #expect(out.map(\.samples) == [2, 2])
        #expect(text(out[1].payload) == #"{"type":"samples","seq":2,"stream":"\#(stream.streamID)","lost":3,"samples":[[2.000,1,2,3],[3.000,1,2,3]]}"#)
        #expect(!text(out[0].payload).contains("lost"))
        #expect(stream.linesLost == 3)
    }

    @Test func aLongTickIsSplitIntoMessagesOfBoundedSize() {
        let stream = makeStream()
        var state = PublisherState(address: address, stream: stream, homeAssistantPrefix: nil, maxSamplesPerMessage: 4)
        let xyz = ChannelLayout.defaultNames(count: 3)
        for index in 0..<10 { stream.publish(Sample(timeMicros: Int64(index), values: [1, 2, 3], layout: xyz)) }
        let out = state.take(stream.read(from: state.cursor), connected: true).out.filter { $0.topic == "lab/b1/samples" }
        #expect(out.map(\.samples) == [4, 4, 2])
        #expect(out.map { text($0.payload).prefix(28) } == [#"{"type":"samples","seq":0,"s"#, #"{"type":"samples","seq":4,"s"#, #"{"type":"samples","seq":8,"s"#])
    }

    @Test func homeAssistantGetsAConfigPerChannelAndTheNewestValuesOnceASecond() throws {
        let stream = makeStream()
        var state = PublisherState(address: address, stream: stream, homeAssistantPrefix: "homeassistant", maxSamplesPerMessage: 100)
        let xyz = ChannelLayout.defaultNames(count: 3)
        for index in 0..<60 {
            stream.publish(Sample(timeMicros: Int64(index) * 50_000, values: [Double(index), 2, .nan], layout: xyz))
        }
        let out = state.take(stream.read(from: state.cursor), connected: true).out
        let configs = out.filter { $0.topic.hasPrefix("homeassistant/") }
        #expect(configs.map(\.topic) == ["x", "y", "z"].map { "homeassistant/sensor/sensorbridge_lab_b1/\($0)/config" })
        #expect(configs.filter { !$0.retain }.isEmpty)
        let config = try JSONSerialization.jsonObject(with: Data(configs[0].payload)) as? [String: Any]
        #expect(config?["state_topic"] as? String == "lab/b1/state")
        #expect(config?["value_template"] as? String == "{{ value_json['x'] }}")
        #expect(config?["availability_topic"] as? String == "lab/b1/status")
        #expect(config?["unique_id"] as? String == "sensorbridge_lab_b1_x")
        let states = out.filter { $0.topic == "lab/b1/state" }
        #expect(states.map { text($0.payload) } == [#"{"x":59,"y":2,"z":null}"#], "one state for the tick (the newest sample)")

        // Names change: the gone channels' configs are removed (empty retained payload).
        stream.publish(Sample(timeMicros: 10_000_000, values: [1], layout: ChannelLayout(names: ["temp"], isNamedByDevice: true)))
        let changed = state.take(stream.read(from: state.cursor), connected: true).out.filter { $0.topic.hasPrefix("homeassistant/") }
        #expect(changed.map(\.topic) == ["x", "y", "z", "temp"].map { "homeassistant/sensor/sensorbridge_lab_b1/\($0)/config" })
        #expect(changed.map(\.payload.isEmpty) == [true, true, true, false])
    }
}
