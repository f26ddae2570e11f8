import SensorBridgeCore

/// One entry of the stream: a sample, or a change of the source's state. Both travel in one
/// order, so a "disconnected" can never overtake the samples read before the board went.
public struct StreamEvent: Sendable {
    public enum Kind: Sendable {
        case sample(Sample)
        case source(SourceStatus.State, detail: String)
        /// Lines the sketch's counter says were lost on the wire, before the next sample.
        case lost(lines: UInt64)
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

    /// Roughly what holding this event costs, the frames made of it for clients included:
    /// what bounds the stream's history in bytes.
    public var estimatedBytes: Int {
        switch kind {
        case .sample(let sample): 128 + 16 * sample.values.count
        case .source(_, let detail): 128 + 2 * detail.utf8.count
        case .lost: 128
        }
    }

    public var sample: Sample? {
        if case .sample(let sample) = kind { sample } else { nil }
    }
}

/// A stretch of the stream as a consumer takes it: runs of consecutive samples, and the
/// state changes between them.
public enum StreamPiece {
    case samples([Sample], firstEvent: UInt64, firstSample: UInt64)
    case stateChange(SourceStatus.State, detail: String, event: UInt64, sampleSequence: UInt64)
    case lost(lines: UInt64, event: UInt64, sampleSequence: UInt64)
}

extension StreamEvent {
    /// Hands on `events` (numbered from `firstEvent`) in order as runs of at most `maxRun`
    /// samples and the state changes that cut them.
    public static func pieces(_ events: [StreamEvent], firstEvent: UInt64, maxRun: Int = .max,
                              _ body: (StreamPiece) -> Void) {
        var run: [Sample] = []
        var runStart = (event: firstEvent, sample: UInt64(0))
        func finishRun() {
            guard !run.isEmpty else { return }
            body(.samples(run, firstEvent: runStart.event, firstSample: runStart.sample))
            run.removeAll(keepingCapacity: true)
        }
        for (offset, element) in events.enumerated() {
            let event = firstEvent + UInt64(offset)
            switch element.kind {
            case .sample(let sample):
                if run.isEmpty { runStart = (event, element.sampleSequence) }
                run.append(sample)
                if run.count == maxRun { finishRun() }
            case .source(let state, let detail):
                finishRun()
                body(.stateChange(state, detail: detail, event: event, sampleSequence: element.sampleSequence))
            case .lost(let lines):
                finishRun()
                body(.lost(lines: lines, event: event, sampleSequence: element.sampleSequence))
            }
        }
        finishRun()
    }
}
