/// The messages of the batched, self-describing stream (subprotocol `sensorbridge.batch.v1`,
/// documented in docs/protocol.md). Each is one JSON object with a `type`.
public enum BatchMessages {
    public static let subprotocol = "sensorbridge.batch.v1"

    /// First message on a connection: what the stream is, where it stands, and how many
    /// history samples follow (from sequence number `first` on).
    public static func hello(
        source: String, stream: String, channels: [String], first: UInt64, historySamples: UInt64,
        state: String, detail: String
    ) -> [UInt8] {
        var out: [UInt8] = Array(#"{"type":"hello","protocol":"#.utf8)
        JSONText.appendString(subprotocol, to: &out)
        out.append(contentsOf: #","source":"#.utf8)
        JSONText.appendString(source, to: &out)
        out.append(contentsOf: #","stream":"#.utf8)
        JSONText.appendString(stream, to: &out)
        out.append(contentsOf: #","channels":"#.utf8)
        JSONText.appendStringArray(channels, to: &out)
        out.append(contentsOf: #","seq":"#.utf8)
        JSONText.appendInteger(first, to: &out)
        out.append(contentsOf: #","history":"#.utf8)
        JSONText.appendInteger(historySamples, to: &out)
        out.append(contentsOf: #","state":"#.utf8)
        JSONText.appendString(state, to: &out)
        out.append(contentsOf: #","detail":"#.utf8)
        JSONText.appendString(detail, to: &out)
        out.append(UInt8(ascii: "}"))
        return out
    }

    /// The channel names changed; they apply from sample `sequence` on.
    public static func channels(_ names: [String], from sequence: UInt64) -> [UInt8] {
        var out: [UInt8] = Array(#"{"type":"channels","seq":"#.utf8)
        JSONText.appendInteger(sequence, to: &out)
        out.append(contentsOf: #","channels":"#.utf8)
        JSONText.appendStringArray(names, to: &out)
        out.append(UInt8(ascii: "}"))
        return out
    }

    /// The start of a `samples` message for consecutive samples from `first` on; the
    /// `SampleJSON` arrays follow, comma-separated, then `samplesSuffix`. Split this way so
    /// a sender can copy the already-encoded samples in without decoding anything.
    /// `stream` (the run that numbered them) is sent only where the reader cannot learn it
    /// from a greeting: on MQTT, where a relay checks it against the edge's status. So is
    /// `lost`, the lines lost on the wire just before sample `first` (where there were some):
    /// the WebSocket stream sends a `lost` message of its own instead.
    public static func samplesPrefix(first: UInt64, stream: String? = nil, lost: UInt64 = 0) -> [UInt8] {
        var out: [UInt8] = Array(#"{"type":"samples","seq":"#.utf8)
        JSONText.appendInteger(first, to: &out)
        if let stream {
            out.append(contentsOf: #","stream":"#.utf8)
            JSONText.appendString(stream, to: &out)
        }
        if lost > 0 {
            out.append(contentsOf: #","lost":"#.utf8)
            JSONText.appendInteger(lost, to: &out)
        }
        out.append(contentsOf: #","samples":["#.utf8)
        return out
    }

    public static let samplesSuffix: [UInt8] = Array("]}".utf8)

    /// What `encode` hands on: the names from then on, or a `samples` message of `count`.
    public enum Part {
        case channels(ChannelLayout)
        case samples(count: Int)
    }

    /// A run of consecutive samples (numbered from `firstSample`) as messages, in order: a
    /// `channels` message before each change from `layout` (updated as it goes), and a
    /// `samples` message per stretch with the same names. The WebSocket stream frames them,
    /// the MQTT publisher sends them to topics: one encoding for both. A `samples` message is
    /// also ended once it holds `maxMessageBytes` (a broker's reader bounds what it takes).
    /// With `carriesLost` (MQTT) a sample after lines lost on the wire begins a message whose
    /// `lost` says how many. Inlinable: it is on the WebSocket stream's per-sample path, in
    /// another module.
    @inlinable
    public static func encode(_ samples: [Sample], firstSample: UInt64, layout: inout ChannelLayout?,
                              stream: String? = nil, carriesLost: Bool = false, maxMessageBytes: Int = .max,
                              _ emit: (Part, [UInt8]) -> Void) {
        var message: [UInt8] = []
        var count = 0
        func finish() {
            guard count > 0 else { return }
            message.append(contentsOf: samplesSuffix)
            emit(.samples(count: count), message)
            message.removeAll(keepingCapacity: true)
            count = 0
        }
        var sequence = firstSample
        for sample in samples {
            if sample.layout !== layout {
                finish()
                layout = sample.layout
                emit(.channels(sample.layout), channels(sample.layout.names, from: sequence))
            }
            let lost = carriesLost ? sample.linesLostBefore : 0
            if count > 0, message.count >= maxMessageBytes || lost > 0 { finish() }
            if count == 0 {
                message = samplesPrefix(first: sequence, stream: stream, lost: lost)
            } else {
                message.append(UInt8(ascii: ","))
            }
            SampleJSON.append(sample, to: &message)
            count += 1
            sequence += 1
        }
        finish()
    }

    /// `lines` lines were lost on the wire (the sketch's counter says so) before sample `next`.
    public static func lost(lines: UInt64, next: UInt64) -> [UInt8] {
        countBefore(type: "lost", key: "lines", count: lines, sequence: next)
    }

    /// The client was too slow: `missed` samples were dropped; the stream resumes at `resume`.
    public static func gap(missed: UInt64, resume: UInt64) -> [UInt8] {
        countBefore(type: "gap", key: "missed", count: missed, sequence: resume)
    }

    /// `{"type":TYPE,"KEY":COUNT,"seq":SEQUENCE}`: how many went missing before a sample.
    private static func countBefore(type: StaticString, key: StaticString, count: UInt64, sequence: UInt64) -> [UInt8] {
        var out: [UInt8] = Array(#"{"type":""#.utf8)
        out.append(contentsOf: UnsafeBufferPointer(start: type.utf8Start, count: type.utf8CodeUnitCount))
        out.append(contentsOf: #"",""#.utf8)
        out.append(contentsOf: UnsafeBufferPointer(start: key.utf8Start, count: key.utf8CodeUnitCount))
        out.append(contentsOf: #"":"#.utf8)
        JSONText.appendInteger(count, to: &out)
        out.append(contentsOf: #","seq":"#.utf8)
        JSONText.appendInteger(sequence, to: &out)
        out.append(UInt8(ascii: "}"))
        return out
    }

    /// The source's state changed (`connected`, `disconnected`, `finished`).
    public static func status(state: String, detail: String) -> [UInt8] {
        var out: [UInt8] = Array(#"{"type":"status","state":"#.utf8)
        JSONText.appendString(state, to: &out)
        out.append(contentsOf: #","detail":"#.utf8)
        JSONText.appendString(detail, to: &out)
        out.append(UInt8(ascii: "}"))
        return out
    }

    /// The answer to a client's `send`: `sent`, or `send-refused` with the reason.
    public static func sendResult(line: String, refusal: String?) -> [UInt8] {
        var out: [UInt8] = Array(#"{"type":"#.utf8)
        JSONText.appendString(refusal == nil ? "sent" : "send-refused", to: &out)
        out.append(contentsOf: #","line":"#.utf8)
        JSONText.appendString(line, to: &out)
        if let refusal {
            out.append(contentsOf: #","reason":"#.utf8)
            JSONText.appendString(refusal, to: &out)
        }
        out.append(UInt8(ascii: "}"))
        return out
    }
}
