import SensorBridgeStream

/// Passes a source's state changes to its sink, leaving out one that says again exactly what
/// the last one said (a peer refusing every 5 s is one event, not one every 5 s).
/// Used only by the source's own thread.
final class StateReporter {
    private let sink: any ByteSink
    private var last: (state: SourceStatus.State, detail: String)?

    init(sink: any ByteSink) { self.sink = sink }

    func report(_ state: SourceStatus.State, _ detail: String) {
        if let last, last.state == state, last.detail == detail { return }
        last = (state, detail)
        sink.sourceChanged(state, detail: detail)
    }
}
