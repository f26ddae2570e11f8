import Foundation
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
        JSONText.appendInteger(Int64(nextSample), to: &out)
        out.append(contentsOf: #","source":{"kind":"#.utf8)
        JSONText.appendString(source.kind, to: &out)
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
        case samples(first: UInt64, rows: [Row])
        case channels(from: UInt64, names: [String])
        case status(EdgeStatus)
    }

    /// One sample as sent: its time and values (NaN where the line had no value).
    public struct Row: Sendable, Equatable {
        public var timeMicros: Int64
        public var values: [Double]

        public static func == (lhs: Row, rhs: Row) -> Bool {
            lhs.timeMicros == rhs.timeMicros && lhs.values.elementsEqual(rhs.values) { $0 == $1 || ($0.isNaN && $1.isNaN) }
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

    private struct Fields: Decodable {
        struct Source: Decodable {
            var kind: String?
            var name: String?
            var baud: Int?
        }
        var type: String
        var seq: UInt64?
        var samples: [[Double?]]?
        var channels: [String]?
        var state: String?
        var detail: String?
        var stream: String?
        var source: Source?
        var bridge: String?
    }

    /// Reads a payload, or says in one sentence why it is not one of ours.
    public static func decode(_ payload: [UInt8]) throws(MQTTPayloadError) -> Received {
        let fields: Fields
        do {
            fields = try JSONDecoder().decode(Fields.self, from: Data(payload))
        } catch {
            throw MQTTPayloadError("not a sensorbridge message (\(payload.count) bytes that are not its JSON)")
        }
        switch fields.type {
        case "samples":
            guard let first = fields.seq, let samples = fields.samples else {
                throw MQTTPayloadError("a samples message without seq or samples")
            }
            var rows: [Row] = []
            rows.reserveCapacity(samples.count)
            for sample in samples {
                guard let time = sample.first ?? nil, time.isFinite, abs(time) < 1e15 else {
                    throw MQTTPayloadError("a sample without its time")
                }
                rows.append(Row(timeMicros: Int64((time * 1000).rounded()), values: sample.dropFirst().map { $0 ?? .nan }))
            }
            return .samples(first: first, rows: rows)
        case "channels":
            guard let from = fields.seq, let names = fields.channels else {
                throw MQTTPayloadError("a channels message without seq or channels")
            }
            return .channels(from: from, names: names)
        case "status":
            guard let stateText = fields.state, let state = SourceStatus.State(rawValue: stateText) else {
                throw MQTTPayloadError("a status message with no known state")
            }
            return .status(EdgeStatus(
                state: state, detail: fields.detail ?? "", stream: fields.stream, nextSample: fields.seq,
                presence: fields.bridge.flatMap(Presence.init(rawValue:)) ?? .online,
                sourceName: fields.source?.name, baud: fields.source?.baud))
        default:
            throw MQTTPayloadError("a message of unknown type \(fields.type)")
        }
    }
}

public struct MQTTPayloadError: Error, CustomStringConvertible, Equatable {
    public let description: String
    public init(_ description: String) { self.description = description }
}
