import NIOCore
import SensorBridgeCore
import SensorBridgeStream

/// How the stream's events become bytes on one kind of connection: which messages (the
/// stream chosen by subprotocol) in which frames (the handshake's framing). Chosen once,
/// at handshake time. Shared events are encoded and framed once per format (`FrameLog`)
/// and every client of that format is sent the same bytes; only what concerns one client
/// (its greeting, a gap it fell into) is made for it alone.
public protocol WireFormat: Sendable {
    var framing: Framing { get }
    /// Appends the frames for consecutive samples, the first numbered `firstSample`. A
    /// format that names channels announces a change against `layout` and updates it.
    func appendSamples(_ samples: [Sample], firstSample: UInt64, layout: inout ChannelLayout?,
                       to out: inout ByteBuffer) -> FrameCount
    /// A change of the source's state; nil when the format does not carry it.
    func status(_ state: SourceStatus.State, detail: String) -> [UInt8]?
    /// The first message on a connection; nil when the format has none.
    func hello(_ facts: StreamGreeting) -> [UInt8]?
    /// `missed` samples were skipped for a slow client; the stream goes on at `resume`.
    func gap(missed: UInt64, resume: UInt64) -> [UInt8]?
    /// Lines lost on the wire before sample `next`; nil when the format does not carry it.
    func lost(lines: UInt64, next: UInt64) -> [UInt8]?
    /// The channel names in force from sample `sequence` on.
    func channels(_ names: [String], from sequence: UInt64) -> [UInt8]?
}

extension WireFormat {
    public func status(_ state: SourceStatus.State, detail: String) -> [UInt8]? { nil }
    public func hello(_ facts: StreamGreeting) -> [UInt8]? { nil }
    public func gap(missed: UInt64, resume: UInt64) -> [UInt8]? { nil }
    public func lost(lines: UInt64, next: UInt64) -> [UInt8]? { nil }
    public func channels(_ names: [String], from sequence: UInt64) -> [UInt8]? { nil }

    /// One message as a complete frame.
    func framed(_ payload: [UInt8]) -> ByteBuffer {
        var out = ByteBuffer()
        framing.appendText(payload, to: &out)
        return out
    }

}

extension SubprotocolChoice.Stream {
    /// This stream's messages in `framing`'s frames.
    func wireFormat(framing: Framing) -> any WireFormat {
        switch self {
        case .perSample: PerSampleFormat(framing: framing)
        case .batched: BatchedFormat(framing: framing)
        }
    }
}

/// Frames and payload bytes written, for the per-client counters.
public struct FrameCount: Sendable, Equatable {
    public var frames = 0
    public var payloadBytes = 0

    public init() {}

    /// One message of `payload`'s size.
    init(message payload: [UInt8]) { count(payload: payload.count) }

    mutating func count(payload: Int) {
        frames += 1
        payloadBytes += payload
    }
}

/// What a client's greeting says about the stream it joins.
public struct StreamGreeting: Sendable {
    var source: String
    var stream: String
    var channels: [String]
    var first: UInt64
    var historySamples: UInt64
    var state: SourceStatus.State
    var detail: String
}

/// A text message's frame on the wire.
public enum Framing: Sendable, Hashable {
    /// RFC 6455 and the hybi-07/08 drafts: a server's frames are unmasked, with the same header.
    case webSocket
    /// hixie-76: `0x00 <UTF-8> 0xFF`.
    case hixie76

    func appendText(_ payload: [UInt8], to out: inout ByteBuffer) {
        switch self {
        case .webSocket:
            out.writeInteger(UInt8(0x81))  // FIN + text
            if payload.count < 126 {
                out.writeInteger(UInt8(payload.count))
            } else if payload.count <= Int(UInt16.max) {
                out.writeInteger(UInt8(126))
                out.writeInteger(UInt16(payload.count))
            } else {
                out.writeInteger(UInt8(127))
                out.writeInteger(UInt64(payload.count))
            }
            out.writeBytes(payload)
        case .hixie76:
            out.writeInteger(UInt8(0x00))
            out.writeBytes(payload)
            out.writeInteger(UInt8(0xFF))
        }
    }
}

/// The default stream: one frame per sample, `[t, v1, v2, ...]` (`SampleJSON`).
public struct PerSampleFormat: WireFormat {
    public let framing: Framing

    public init(framing: Framing) { self.framing = framing }

    public func appendSamples(_ samples: [Sample], firstSample: UInt64, layout: inout ChannelLayout?,
                       to out: inout ByteBuffer) -> FrameCount {
        var count = FrameCount()
        var payload: [UInt8] = []
        for sample in samples {
            payload.removeAll(keepingCapacity: true)
            SampleJSON.append(sample, to: &payload)
            framing.appendText(payload, to: &out)
            count.count(payload: payload.count)
        }
        return count
    }
}

/// `sensorbridge.batch.v1` (`BatchMessages`): a `samples` message per run of samples with
/// the same channels, a `channels` message before each change, and the control messages.
public struct BatchedFormat: WireFormat {
    public let framing: Framing

    public init(framing: Framing) { self.framing = framing }

    public func appendSamples(_ samples: [Sample], firstSample: UInt64, layout: inout ChannelLayout?,
                       to out: inout ByteBuffer) -> FrameCount {
        var count = FrameCount()
        BatchMessages.encode(samples, firstSample: firstSample, layout: &layout) { _, message in
            framing.appendText(message, to: &out)
            count.count(payload: message.count)
        }
        return count
    }

    public func status(_ state: SourceStatus.State, detail: String) -> [UInt8]? {
        BatchMessages.status(state: state.rawValue, detail: detail)
    }

    public func hello(_ facts: StreamGreeting) -> [UInt8]? {
        BatchMessages.hello(
            source: facts.source, stream: facts.stream, channels: facts.channels, first: facts.first,
            historySamples: facts.historySamples, state: facts.state.rawValue, detail: facts.detail)
    }

    public func gap(missed: UInt64, resume: UInt64) -> [UInt8]? {
        BatchMessages.gap(missed: missed, resume: resume)
    }

    public func lost(lines: UInt64, next: UInt64) -> [UInt8]? {
        BatchMessages.lost(lines: lines, next: next)
    }

    public func channels(_ names: [String], from sequence: UInt64) -> [UInt8]? {
        BatchMessages.channels(names, from: sequence)
    }
}
