import Foundation
import Logging
import SensorBridgeCore
import SensorBridgeStream
import TestSupport

/// Polls `condition` every 5 ms until it holds or `seconds` pass; its last answer.
func eventually(within seconds: Double = 10, _ condition: () -> Bool) -> Bool {
    let deadline = Date().addingTimeInterval(seconds)
    while !condition() {
        guard Date() < deadline else { return false }
        usleep(5_000)
    }
    return true
}

/// A stream and the pipeline into it, as the bridge wires a source; what the source
/// delivered is read back from the stream.
final class Bench: Sendable {
    let stream: SensorStream
    let monitor = LineMonitor()
    let pipeline: IngestPipeline

    init(kind: SourceKind) {
        stream = SensorStream(source: SourceStatus(kind: kind, name: "test", baud: nil), capacity: 4096)
        pipeline = IngestPipeline(stream: stream, monitor: monitor, logger: Logger(label: "test"))
    }

    var samples: [[Double]] { stream.read(from: 0).elements.compactMap { $0.sample?.values } }
    var status: SourceStatus { stream.sourceStatus }

    /// Every state change so far, as "state: detail".
    var changes: [String] {
        stream.read(from: 0).elements.compactMap { event in
            guard case .source(let state, let detail) = event.kind else { return nil }
            return "\(state.rawValue): \(detail)"
        }
    }

    /// The lines framed so far, as the raw monitor shows them.
    var lines: [String] { monitor.entries(after: 0).map(\.text) }
}
