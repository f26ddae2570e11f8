import SensorBridgeCore

/// One entry of the stream: a sample, or a change of the source's state. Both travel in one
/// order, so a "disconnected" can never overtake the samples read before the board went.
public struct StreamEvent: Sendable {
    public enum Kind: Sendable {
        case sample(Sample)
        case source(SourceStatus.State, detail: String)
    }

    public let kind: Kind
    /// When it happened (µs since the epoch): a sample's arrival, a state change's notice.
    public let timeMicros: Int64
    /// The samples before this event: a sample's own number on the wire (`seq`); for a
    /// state change, the number the next sample will get. Status events take no number, so
    /// the sample numbers clients see stay dense.
    public let sampleSequence: UInt64

    public init(kind: Kind, timeMicros: Int64, sampleSequence: UInt64) {
        self.kind = kind
        self.timeMicros = timeMicros
        self.sampleSequence = sampleSequence
    }

    public var sample: Sample? {
        if case .sample(let sample) = kind { sample } else { nil }
    }
}
