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
        ], stream: nil))
    }

    @Test func theEdgeNamesItsRunInEachSamplesMessageAndSplitsLargeOnes() throws {
        let wide = ChannelLayout(names: (1...64).map { "channel\($0)" }, isNamedByDevice: true)
        let samples = (0..<2000).map { Sample(timeMicros: 1_700_000_000_000_000 + Int64($0), values: (0..<64).map { -Double($0) - 0.123456789012 }, layout: wide) }
        var layout: ChannelLayout? = wide
        var messages: [[UInt8]] = []
        BatchMessages.encode(samples, firstSample: 7, layout: &layout, stream: "run1", maxMessageBytes: PublisherState.maxMessageBytes) { part, message in
            if case .samples = part { messages.append(message) }
        }
        #expect(messages.count > 1, "2000 samples of 64 long values do not fit one message")
        #expect(messages.allSatisfy { $0.count <= PublisherState.maxMessageBytes + 2_000 })
        var next: UInt64 = 7
        for message in messages {
            guard case .samples(let first, let rows, let stream) = try MQTTMessages.decode(message) else { Issue.record("not samples"); return }
            #expect(first == next && stream == "run1" && rows.allSatisfy { $0.values.count == 64 })
            next += UInt64(rows.count)
        }
        #expect(next == 2007, "every sample, in order, across the messages")
    }

    /// Lines lost on the wire at the edge travel as the `lost` of the samples message that
    /// begins with the sample after them; the WebSocket stream (no `carriesLost`) sends its own
    /// `lost` message instead, so its samples messages are as they were.
    @Test func linesLostOnTheWireBeginAMessageThatSaysHowMany() throws {
        var samples = (0..<5).map { Sample(timeMicros: 1_700_000_000_000_000 + Int64($0) * 1_000, values: [Double($0), 0, 0], layout: xyz) }
        samples[0].linesLostBefore = 2
        samples[3].linesLostBefore = 7
        var layout: ChannelLayout? = xyz
        var messages: [[UInt8]] = []
        BatchMessages.encode(samples, firstSample: 10, layout: &layout, stream: "run1", carriesLost: true) { _, message in messages.append(message) }
        #expect(messages.map { String(text($0).prefix(46)) } == [
            #"{"type":"samples","seq":10,"stream":"run1","lo"#, #"{"type":"samples","seq":13,"stream":"run1","lo"#,
        ])
        #expect(text(messages[1]) == #"{"type":"samples","seq":13,"stream":"run1","lost":7,"samples":[[1700000000003.000,3,0,0],[1700000000004.000,4,0,0]]}"#)
        var read: [MQTTMessages.Row] = []
        for message in messages {
            guard case .samples(_, let rows, _) = try MQTTMessages.decode(message) else { Issue.record("not samples"); return }
            read += rows
        }
        #expect(read.map(\.linesLostBefore) == [2, 0, 0, 7, 0])
        #expect(read.map(\.values) == samples.map(\.values))

        layout = xyz
        var plain: [[UInt8]] = []
        BatchMessages.encode(samples, firstSample: 10, layout: &layout) { _, message in plain.append(message) }
        #expect(plain.count == 1 && !text(plain[0]).contains("lost"), "the WebSocket stream's samples messages carry no lost")
        // A message without it (a bridge before it was sent) loses nothing; the most one jump
        // of a line counter can say is taken; on a message of no rows it has nowhere to go.
        let cases: [(String, [UInt64])] = [
            (#"{"type":"samples","seq":0,"samples":[[1,2],[2,3]]}"#, [0, 0]),
            (#"{"type":"samples","seq":0,"lost":0,"samples":[[1,2]]}"#, [0]),
            (#"{"lost":1048576,"type":"samples","seq":0,"samples":[[1,2],[2,3]]}"#, [1_048_576, 0]),
            (#"{"type":"samples","seq":0,"lost":5,"samples":[]}"#, []),
        ]
        for (payload, lost) in cases {
            guard case .samples(_, let rows, _) = try MQTTMessages.decode(Array(payload.utf8)) else { Issue.record("not samples"); return }
            #expect(rows.map(\.linesLostBefore) == lost, "\(payload)")
        }
    }

    /// What lets a relay of an earlier version read an edge's new `lost` (and an edge's later
    /// fields be read by this one): a field it does not know is skipped, whatever it holds.
    @Test func fieldsOfLaterVersionsAreSkipped() throws {
        let payload = #"{"type":"samples","seq":3,"lost":2,"later":{"lost":[-1,1e999,{"a":null}],"n":18446744073709551616},"samples":[[1,2]]}"#
        guard case .samples(let first, let rows, _) = try MQTTMessages.decode(Array(payload.utf8)) else { Issue.record("not samples"); return }
        #expect(first == 3 && rows == [.init(timeMicros: 1_000, values: [2], linesLostBefore: 2)])
    }

    @Test func statusCarriesTheRunTheSourceAndThePresence() throws {
        let source = SourceStatus(kind: .serial, name: "/dev/ttyACM0", baud: 115_200, state: .connected, detail: "opened \"it\"")
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
        // What the probe of issue 19 sent, and its neighbours.
        (#"{"type":"samples","seq":18446744073709551615,"samples":[[1795938613499,1,2,3]]}"#, "run past 18446744073709551615"),
        (#"{"type":"samples","seq":18446744073709551616,"samples":[[1,2]]}"#, "larger than 18446744073709551615"),
        (#"{"type":"samples","seq":-1,"samples":[[1,2]]}"#, "a whole number of 0 or more"),
        (#"{"type":"samples","seq":1.5,"samples":[[1,2]]}"#, "a whole number of 0 or more"),
        (#"{"type":"samples","seq":1,"samples":[[1e300,2]]}"#, "without its time"),
        (#"{"type":"samples","seq":1,"samples":[[1,2e999]]}"#, "out of range"),
        (#"{"type":"channels","seq":0,"channels":["a,b"]}"#, "no sketch could print"),
        (#"{"type":"channels","seq":0,"channels":[""]}"#, "no sketch could print"),
        (#"{"type":"status","state":"connected","source":{"baud":99999999999}}"#, "outside 1…100000000"),
        (#"{"type":"status","state":"connected","stream":"0123456789012345678901234567890123456789012345678901234567890123456789"}"#, "longer than 64 bytes"),
        (#"{"type":"status","state":"connected"} trailing"#, "more after the end"),
        (#"{"type":"status","state":"connected","x":[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]}"#, "nested deeper"),
        (#"{"type":"samples","seq":0,"samples":[[1,"\ud800"]]}"#, "not a sensorbridge message"),
        (#"{"type":"status","state":"connected","stream":"x\n2026 critical: FORGED"}"#, "stream id that is not letters"),
        (#"{"type":"samples","seq":0,"samples":[[1795938613499]]}"#, "a sample with no value"),
        (#"{"type":"channels","seq":0,"channels":["\u202Eevil"]}"#, "no sketch could print"),
        (#"{"type":"channels","seq":0,"channels":[" "]}"#, "no sketch could print"),
        // Lines lost on the wire: no more than one jump of a line counter, a whole number of 0 or more.
        (#"{"type":"samples","seq":0,"lost":1048577,"samples":[[1,2]]}"#, "outside 0…1048576"),
        (#"{"type":"samples","seq":0,"lost":18446744073709551616,"samples":[[1,2]]}"#, "larger than 18446744073709551615"),
        (#"{"type":"samples","seq":0,"lost":-1,"samples":[[1,2]]}"#, "a whole number of 0 or more"),
        (#"{"type":"samples","seq":0,"lost":-9223372036854775809,"samples":[[1,2]]}"#, "a whole number of 0 or more"),
        (#"{"type":"samples","seq":0,"lost":2.5,"samples":[[1,2]]}"#, "a whole number of 0 or more"),
        (#"{"type":"samples","seq":0,"lost":1e300,"samples":[[1,2]]}"#, "a whole number of 0 or more"),
        (#"{"type":"samples","seq":0,"lost":"3","samples":[[1,2]]}"#, "not a sensorbridge message"),
    ])
    func foreignPayloadsAreRefusedWithAReason(payload: String, reason: String) {
        #expect {
            try MQTTMessages.decode(Array(payload.utf8))
        } throws: { error in
            "\(error)".contains(reason)
        }
    }

    @Test func aPayloadBeyondTheLimitIsRefusedUnread() {
        var limits = MQTTMessages.Limits()
        limits.maxPayloadBytes = 100
        let payload = Array(#"{"type":"status","state":"connected","detail":"\#(String(repeating: "x", count: 200))"}"#.utf8)
        #expect(throws: MQTTPayloadError("a message of \(payload.count) bytes (at most 100 are read)")) {
            try MQTTMessages.decode(payload, limits: limits)
        }
    }

    @Test func rowsValuesAndNamesAreBoundedLikeASerialLine() throws {
        let tooMany = #"{"type":"samples","seq":0,"samples":[["# + (0..<(LineParser.maxChannels + 2)).map(String.init).joined(separator: ",") + "]]}"
        #expect(throws: MQTTPayloadError.self) { try MQTTMessages.decode(Array(tooMany.utf8)) }
        let justRight = #"{"type":"samples","seq":0,"samples":[["# + (0...LineParser.maxChannels).map(String.init).joined(separator: ",") + "]]}"
        guard case .samples(_, let rows, _) = try MQTTMessages.decode(Array(justRight.utf8)) else { Issue.record("not samples"); return }
        #expect(rows[0].values.count == LineParser.maxChannels)
        let manyRows = #"{"type":"samples","seq":0,"samples":["# + Array(repeating: "[1,2]", count: MQTTMessages.Limits.standard.maxRows + 1).joined(separator: ",") + "]}"
        #expect { try MQTTMessages.decode(Array(manyRows.utf8)) } throws: { "\($0)".contains("more than 5000 elements") }
        let names = #"{"type":"channels","seq":0,"channels":["# + (0...LineParser.maxChannels).map { "\"c\($0)\"" }.joined(separator: ",") + "]}"
        #expect(throws: MQTTPayloadError.self) { try MQTTMessages.decode(Array(names.utf8)) }
    }

    @Test func aLongDetailIsCut() throws {
        for length in [1000, 100_000] {
            let long = String(repeating: "é", count: length)
            let payload = MQTTMessages.status(SourceStatus(kind: .serial, name: "/dev/x", baud: 9600, state: .connected, detail: long),
                                              stream: "s", nextSample: 0, presence: .online)
            guard case .status(let status) = try MQTTMessages.decode(payload) else { Issue.record("not a status"); return }
            #expect(status.detail.utf8.count <= MQTTMessages.Limits.standard.maxDetailBytes && status.detail.hasSuffix("…"))
            #expect(status.detail.hasPrefix("éé"), "cut at a character, never inside one")
        }
    }

    @Test func unknownFieldsEscapesAndWhiteSpaceAreRead() throws {
        let payload = " {\"extra\": {\"a\": [1, true, null, \"x\"]}, \"type\" : \"status\", \"state\":\"connected\", \"detail\":\"tab\\there \\u00e9 \\ud83d\\ude00\", \"seq\": 12 } "
        guard case .status(let status) = try MQTTMessages.decode(Array(payload.utf8)) else { Issue.record("not a status"); return }
        #expect(status.detail == "tab\there é 😀" && status.nextSample == 12 && status.state == .connected)
    }
}
