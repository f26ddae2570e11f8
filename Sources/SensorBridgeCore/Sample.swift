/// One line's reading of the channels, stamped when its line arrived, so every consumer
/// (the stream, the recorder, the status page) agrees on when it happened.
public struct Sample: Sendable, Equatable {
    /// Microseconds since the Unix epoch at receipt.
    public var timeMicros: Int64
    /// One value per channel, in the order of `layout.names`; NaN for a series the line did
    /// not carry (a labelled line may carry only some labels). Sent as JSON `null`.
    public var values: [Double]
    /// The channel names in force when this sample was parsed.
    public var layout: ChannelLayout
    /// Lines the sketch's line counter says were lost on the wire just before this one.
    public var linesLostBefore: UInt64 = 0

    public init(timeMicros: Int64, values: [Double], layout: ChannelLayout) {
        self.timeMicros = timeMicros
        self.values = values
        self.layout = layout
    }
}
