import NIOCore
import SensorBridgeCore

/// A sample as the ring holds it: encoded once, when it arrived, so that every client is
/// sent the same bytes and nothing is encoded per client.
struct StreamEntry: Sendable {
    let sample: Sample
    /// `SampleJSON` of the sample: a default-stream frame's payload, and a batch element.
    let json: ByteBuffer
}
