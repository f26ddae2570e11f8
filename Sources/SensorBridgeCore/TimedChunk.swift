/// Bytes to hand to the framer at a time relative to the start of a replay.
public struct TimedChunk: Sendable, Equatable {
    public var offsetMicros: Int64
    public var bytes: [UInt8]

    public init(offsetMicros: Int64, bytes: [UInt8]) {
        self.offsetMicros = offsetMicros
        self.bytes = bytes
    }
}
