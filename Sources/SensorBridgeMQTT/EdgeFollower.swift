import SensorBridgeCore
import SensorBridgeStream

/// What a relay makes of the edge bridge's messages, taken in the order the broker delivers
/// them: samples with the channel names in force, the edge's state, and the samples that
/// never arrived (QoS 0 drops what is in flight when a broker or a link goes). The edge
/// numbers its samples; a jump in the numbers is a gap, reported once, never papered over.
public struct EdgeFollower: Sendable {
    public enum Action: Sendable, Equatable {
        /// Samples to put into the relay's stream, in order.
        case publish([Sample])
        /// `count` samples of the edge, from number `from` on, never arrived.
        case missed(count: UInt64, from: UInt64)
        /// The edge's source changed state (or the edge itself came, stopped or vanished).
        case state(SourceStatus.State, detail: String)
        /// The edge bridge restarted: its numbers start again.
        case newRun(stream: String)
    }

    /// The edge run being followed (`stream` of its status).
    public private(set) var stream: String?
    /// The edge's number of the next sample expected; nil until one arrived in this run.
    public private(set) var expected: UInt64?
    /// The edge's source, as its status last said (`/dev/ttyACM0`, baud).
    public private(set) var sourceName: String?
    public private(set) var baud: Int?
    private var named: ChannelLayout?
    private var defaulted: ChannelLayout?

    public init() {}

    public mutating func take(_ message: MQTTMessages.Received) -> [Action] {
        switch message {
        case .status(let status):
            var actions: [Action] = []
            if let run = status.stream, run != stream {
                if stream != nil { actions.append(.newRun(stream: run)) }
                stream = run
                expected = nil
            }
            if status.presence == .online {
                sourceName = status.sourceName ?? sourceName
                baud = status.baud ?? baud
            }
            let state: SourceStatus.State = switch status.presence {
            case .online: status.state
            case .stopped: .stopped
            case .gone: .disconnected
            }
            actions.append(.state(state, detail: status.detail))
            return actions
        case .channels(_, let names):
            named = ChannelLayout(names: names, isNamedByDevice: true)
            return []
        case .samples(let first, let rows):
            guard !rows.isEmpty else { return [] }
            var actions: [Action] = []
            if let expected {
                if first > expected {
                    actions.append(.missed(count: first - expected, from: expected))
                } else if first < expected {
                    // Numbers only go back when the edge started again and its status was
                    // lost on the way: follow the new run rather than drop it as old.
                    actions.append(.newRun(stream: stream ?? ""))
                }
            }
            expected = first + UInt64(rows.count)
            actions.append(.publish(rows.map { Sample(timeMicros: $0.timeMicros, values: $0.values, layout: layout(for: $0.values.count)) }))
            return actions
        }
    }

    /// The names the edge gave, when they fit the sample; else `x,y,z` / `ch1…`, one
    /// instance per width so consumers can compare layouts by identity.
    private mutating func layout(for count: Int) -> ChannelLayout {
        if let named, named.count == count { return named }
        if let defaulted, defaulted.count == count { return defaulted }
        let made = ChannelLayout.defaultNames(count: count)
        defaulted = made
        return made
    }
}
