import SensorBridgeCore
import SensorBridgeStream

/// The payloads on a base topic (docs/scale-out.md). `samples` and `channels` are the batched
/// WebSocket stream's own messages (`BatchMessages.encode`), so one parser reads both;
/// `status` adds what a relay needs to tell one run of the edge bridge from the next.
public enum MQTTMessages {
    /// What a bridge says of itself on `<base>/status`.
    public enum Presence: String, Sendable, Codable {
        /// Publishing; `state` is its source's.
        case online
        /// Shut down on purpose.
        case stopped
        /// Its connection broke without a goodbye: the broker sent its Last Will.
        case gone
    }

    /// The retained status: the source's state, which run of the edge this is (`stream`, and
    /// `seq`, the next sample's number), and the source it reads.
    public static func status(_ source: SourceStatus, stream: String, nextSample: UInt64, presence: Presence) -> [UInt8] {
        var out: [UInt8] = Array(#"{"type":"status","state":"#.utf8)
        JSONText.appendString(source.state.rawValue, to: &out)
        out.append(contentsOf: #","detail":"#.utf8)
        JSONText.appendString(source.detail, to: &out)
        out.append(contentsOf: #","stream":"#.utf8)
        JSONText.appendString(stream, to: &out)
        out.append(contentsOf: #","seq":"#.utf8)
        JSONText.appendInteger(nextSample, to: &out)
        out.append(contentsOf: #","source":{"kind":"#.utf8)
        JSONText.appendString(source.kind.rawValue, to: &out)
        out.append(contentsOf: #","name":"#.utf8)
        JSONText.appendString(source.name, to: &out)
        out.append(contentsOf: #","baud":"#.utf8)
        if let baud = source.baud { JSONText.appendInteger(Int64(baud), to: &out) } else { out.append(contentsOf: "null".utf8) }
        out.append(contentsOf: #"},"bridge":"#.utf8)
        JSONText.appendString(presence.rawValue, to: &out)
        out.append(UInt8(ascii: "}"))
        return out
    }

    /// The Last Will, left with the broker at connect time: what every relay is told when
    /// the edge vanishes (crash, power cut, network gone) without saying goodbye.
    public static func lastWill(base: String, stream: String) -> [UInt8] {
        var out: [UInt8] = Array(#"{"type":"status","state":"disconnected","detail":"#.utf8)
        JSONText.appendString("the bridge publishing \(base) is gone: its connection to the broker broke", to: &out)
        out.append(contentsOf: #","stream":"#.utf8)
        JSONText.appendString(stream, to: &out)
        out.append(contentsOf: #","bridge":"gone"}"#.utf8)
        return out
    }

    // MARK: - Reading (the relay)

    /// One message of a base topic as a relay reads it.
    public enum Received: Sendable, Equatable {
        /// `stream` is the edge run that numbered them (nil from bridges before it was sent).
        case samples(first: UInt64, rows: [Row], stream: String?)
        case channels(from: UInt64, names: [String])
        case status(EdgeStatus)
    }

    /// One sample as sent: its time and values (NaN where the line had no value), and the
    /// lines lost on the wire just before it (a message's `lost`, given to its first row).
    public struct Row: Sendable, Equatable {
        public var timeMicros: Int64
        public var values: [Double]
        public var linesLostBefore: UInt64

        public init(timeMicros: Int64, values: [Double], linesLostBefore: UInt64 = 0) {
            self.timeMicros = timeMicros
            self.values = values
            self.linesLostBefore = linesLostBefore
        }

        public static func == (lhs: Row, rhs: Row) -> Bool {
            lhs.timeMicros == rhs.timeMicros && lhs.linesLostBefore == rhs.linesLostBefore
                && lhs.values.elementsEqual(rhs.values) { $0 == $1 || ($0.isNaN && $1.isNaN) }
        }
    }

    public struct EdgeStatus: Sendable, Equatable {
        public var state: SourceStatus.State
        public var detail: String
        public var stream: String?
        public var nextSample: UInt64?
        public var presence: Presence
        public var sourceName: String?
        public var baud: Int?
    }

    /// What one message may hold: anything beyond is refused before it costs memory or time.
    public struct Limits: Sendable {
        /// A payload larger than this is refused unread (the publisher splits long ticks well below it).
        public var maxPayloadBytes = 1 << 20
        /// Samples in one message (the publisher sends at most 2000).
        public var maxRows = 5_000
        /// Values in one sample: the same bound as a serial line's (`LineParser.maxChannels`).
        public var maxValues = LineParser.maxChannels
        /// A status `detail` longer than this is cut (with "…").
        public var maxDetailBytes = 512
        /// Any other string (stream id, source name, kind).
        public var maxStringBytes = 4096
        public var maxStreamIDBytes = 64

        public init() {}
        public static let standard = Limits()
    }

    /// Reads a payload, or says in one sentence why it is not one of ours. Checks the size
    /// first, then reads only what it needs, with every count and length bounded.
    public static func decode(_ payload: [UInt8], limits: Limits = .standard) throws(MQTTPayloadError) -> Received {
        guard payload.count <= limits.maxPayloadBytes else {
            throw .tooLarge(bytes: payload.count, limit: limits.maxPayloadBytes)
        }
        var fields = Fields()
        var reader = JSONReader(payload)
        do throws(JSONReader.Failure) {
            try reader.readObject { (reader, key) throws(JSONReader.Failure) in try fields.read(key, from: &reader, limits: limits) }
            try reader.finish()
        } catch {
            if let problem = fields.problem { throw problem }
            throw .notJSON(bytes: payload.count, error)
        }
        if let problem = fields.problem { throw problem }
        switch fields.type {
        case "samples":
            guard let first = fields.seq, var rows = fields.rows else {
                throw MQTTPayloadError(fixed: "a samples message without seq or samples")
            }
            guard UInt64.max - first >= UInt64(rows.count) else {
                throw MQTTPayloadError(fixed: "a samples message whose numbers run past 18446744073709551615")
            }
            if let lost = fields.lost, !rows.isEmpty { rows[0].linesLostBefore = lost }
            return .samples(first: first, rows: rows, stream: fields.stream)
        case "channels":
            guard let from = fields.seq, let names = fields.channels else {
                throw MQTTPayloadError(fixed: "a channels message without seq or channels")
            }
            return .channels(from: from, names: names)
        case "status":
            guard let stateText = fields.state, let state = SourceStatus.State(rawValue: stateText) else {
                throw MQTTPayloadError(fixed: "a status message with no known state")
            }
            return .status(EdgeStatus(
                state: state, detail: (fields.detail ?? "").shortened(toUTF8Bytes: limits.maxDetailBytes),
                stream: fields.stream, nextSample: fields.seq,
                presence: fields.bridge.flatMap(Presence.init(rawValue:)) ?? .online,
                sourceName: fields.sourceName, baud: fields.baud))
        case nil:
            throw MQTTPayloadError(fixed: "not a sensorbridge message (no type)")
        case let other?:
            throw MQTTPayloadError("a message of unknown type \(StreamStatistics.printable(Array(other.utf8), limit: 32))")
        }
    }

    /// A run's id as bridges make them (base 36) and as logs may show them unescaped.
    static func isStreamID(_ text: String) -> Bool {
        !text.isEmpty && text.utf8.allSatisfy { byte in
            (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")) || (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z"))
                || (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z"))
                || byte == UInt8(ascii: "-") || byte == UInt8(ascii: "_") || byte == UInt8(ascii: ".")
        }
    }

    /// The fields of any of the three messages, as they are read.
    private struct Fields {
        var type: String?
        var seq: UInt64?
        var rows: [Row]?
        /// Lines lost on the wire before a samples message's first (bridges before it was sent leave it out).
        var lost: UInt64?
        var channels: [String]?
        var state: String?
        var detail: String?
        var stream: String?
        var sourceName: String?
        var baud: Int?
        var bridge: String?
        /// Why the message is refused although it is JSON (a sample without its time, a bad name).
        var problem: MQTTPayloadError?

        mutating func read(_ key: [UInt8], from reader: inout JSONReader, limits: Limits) throws(JSONReader.Failure) {
            if key.isKey("type") {
                type = try reader.readString(maxBytes: 64)
            } else if key.isKey("seq") {
                seq = try reader.readUInt64()
            } else if key.isKey("samples") {
                rows = try readRows(&reader, limits: limits)
            } else if key.isKey("lost") {
                // No more than one jump of a line counter counts: a bigger number is not the edge's.
                lost = UInt64(try reader.readInt(in: 0...Int(LineCounterColumn.largestLoss)))
            } else if key.isKey("channels") {
                var names: [String] = []
                try reader.readArray(maxElements: limits.maxValues) { (reader) throws(JSONReader.Failure) in
                    let name = try reader.readString(maxBytes: ChannelLayout.maxNameBytes)
                    if !ChannelLayout.isValidName(name.utf8), problem == nil {
                        problem = MQTTPayloadError("a channels message with a name no sketch could print: \(StreamStatistics.printable(Array(name.utf8), limit: 70))")
                    }
                    names.append(name)
                }
                channels = names
            } else if key.isKey("state") {
                state = try reader.readString(maxBytes: 64)
            } else if key.isKey("detail") {
                detail = try reader.readOptionalString(maxBytes: limits.maxPayloadBytes)  // cut to maxDetailBytes below
            } else if key.isKey("stream") {
                stream = try reader.readOptionalString(maxBytes: limits.maxStreamIDBytes)
                if let stream, !MQTTMessages.isStreamID(stream), problem == nil {
                    problem = MQTTPayloadError(fixed: "a stream id that is not letters, digits, '-', '_' or '.'")
                }
            } else if key.isKey("bridge") {
                bridge = try reader.readOptionalString(maxBytes: 64)
            } else if key.isKey("source") {
                if reader.readNull() { return }
                try reader.readObject { (reader, key) throws(JSONReader.Failure) in
                    if key.isKey("name") {
                        sourceName = try reader.readOptionalString(maxBytes: limits.maxStringBytes)
                    } else if key.isKey("baud") {
                        baud = reader.readNull() ? nil : try reader.readInt(in: 1...100_000_000)
                    } else {
                        try reader.skipValue()
                    }
                }
            } else {
                try reader.skipValue()
            }
        }

        /// `[[t, v1, v2, ...], ...]`: `t` in ms since the epoch, values or `null`.
        private mutating func readRows(_ reader: inout JSONReader, limits: Limits) throws(JSONReader.Failure) -> [Row] {
            var rows: [Row] = []
            try reader.readArray(maxElements: limits.maxRows) { (reader) throws(JSONReader.Failure) in
                var time: Double?
                var values: [Double] = []
                var first = true
                try reader.readArray(maxElements: limits.maxValues + 1) { (reader) throws(JSONReader.Failure) in
                    if first {
                        first = false
                        time = try reader.readOptionalDouble()
                    } else {
                        values.append(try reader.readOptionalDouble() ?? .nan)
                    }
                }
                // Milliseconds within ±31 000 years of 1970: microseconds fit an Int64 with room to spare.
                guard let time, abs(time) < 1e15 else {
                    if problem == nil { problem = MQTTPayloadError(fixed: "a sample without its time") }
                    return
                }
                guard !values.isEmpty else {
                    if problem == nil { problem = MQTTPayloadError(fixed: "a sample with no value") }
                    return
                }
                rows.append(Row(timeMicros: Int64((time * 1000).rounded()), values: values))
            }
            return rows
        }
    }
}

/// Why a payload is not one of ours, in one sentence, made only when someone reads it (a
/// flood of foreign messages makes refusing the common case).
public struct MQTTPayloadError: Error, CustomStringConvertible, Equatable {
    private enum Kind: Equatable {
        case text(String)
        case fixed(StaticString)
        case notJSON(bytes: Int, JSONReader.Failure)
        case tooLarge(bytes: Int, limit: Int)

        static func == (lhs: Kind, rhs: Kind) -> Bool { "\(lhs)" == "\(rhs)" }
    }

    private let kind: Kind

    public init(_ description: String) { kind = .text(description) }
    init(fixed text: StaticString) { kind = .fixed(text) }
    static func notJSON(bytes: Int, _ failure: JSONReader.Failure) -> Self { Self(kind: .notJSON(bytes: bytes, failure)) }
    static func tooLarge(bytes: Int, limit: Int) -> Self { Self(kind: .tooLarge(bytes: bytes, limit: limit)) }
    private init(kind: Kind) { self.kind = kind }

    public var description: String {
        switch kind {
        case .text(let text): text
        case .fixed(let text): "\(text)"
        case .notJSON(let bytes, let failure): "not a sensorbridge message (\(bytes) bytes: \(failure))"
        case .tooLarge(let bytes, let limit): "a message of \(bytes) bytes (at most \(limit) are read)"
        }
    }

    public static func == (lhs: Self, rhs: Self) -> Bool { lhs.description == rhs.description }
}

extension MQTTAddress {
    /// The one topic of the base each message belongs on: a message on another is refused.
    func topic(carrying message: MQTTMessages.Received) -> String {
        switch message {
        case .samples: samplesTopic
        case .channels: channelsTopic
        case .status: statusTopic
        }
    }
}
