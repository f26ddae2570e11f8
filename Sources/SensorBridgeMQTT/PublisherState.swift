import SensorBridgeCore
import SensorBridgeStream

/// What the publisher sends, decided from the stream's events without touching the network:
/// batches of samples, the channel names when they change (before the samples they name),
/// the source's state when it changes, and on each (re)connection what a newcomer to the
/// topics needs first. The caller reads the stream and hands the messages to the broker.
struct PublisherState {
    struct Message: Equatable {
        var topic: String
        var payload: [UInt8]
        var retain: Bool
        /// Samples in it (0 for retained descriptions): what is lost if it is dropped.
        var samples: Int
    }

    let address: MQTTAddress
    let streamID: String
    let homeAssistant: HomeAssistantDiscovery?
    let maxSamplesPerMessage: Int
    /// A `samples` message is ended past this size: a relay reads at most
    /// `MQTTMessages.Limits.maxPayloadBytes` (1 MiB), whatever the channels' count.
    static let maxMessageBytes = 256 * 1024
    /// The next event of the stream to handle.
    private(set) var cursor: UInt64
    private var source: SourceStatus
    private var layout: ChannelLayout?
    /// The names the broker holds for this connection (nil: say them before the next samples).
    private var publishedLayout: ChannelLayout?
    private var nextSample: UInt64
    /// Home Assistant: the channels given a config, and when `<base>/state` was last sent.
    private var discovered: [String] = []
    private var lastStateMicros: Int64?

    init(address: MQTTAddress, stream: SensorStream, homeAssistantPrefix: String?, maxSamplesPerMessage: Int) {
        self.address = address
        self.streamID = stream.streamID
        self.homeAssistant = homeAssistantPrefix.map { HomeAssistantDiscovery(prefix: $0, address: address) }
        self.maxSamplesPerMessage = maxSamplesPerMessage
        self.cursor = stream.nextEvent
        self.source = stream.sourceStatus
        self.layout = stream.channelLayout
        self.nextSample = stream.sampleWindow.next
    }

    /// Just connected: the retained status and names (a broker restarted without
    /// persistence has forgotten them), then Home Assistant's configs.
    mutating func greeting() -> [Message] {
        var out = [statusMessage(presence: .online)]
        publishedLayout = nil
        discovered = []
        if let layout {
            out.append(contentsOf: describe(layout))
        }
        return out
    }

    /// The events since the last call, as messages (when connected) or as a count of
    /// samples that could not go out (when not).
    mutating func take(_ batch: HistoryRing<StreamEvent>.Batch, connected: Bool) -> (out: [Message], dropped: UInt64) {
        cursor = batch.next
        var out: [Message] = []
        var dropped = connected ? batch.missed : 0
        if batch.missed > 0 { publishedLayout = nil }
        StreamEvent.pieces(batch.elements, firstEvent: batch.first, maxRun: maxSamplesPerMessage) { piece in
            switch piece {
            case .samples(let samples, _, let first):
                nextSample = first + UInt64(samples.count)
                guard connected else {
                    dropped += UInt64(samples.count)
                    layout = samples.last?.layout ?? layout
                    return
                }
                var announced = publishedLayout
                BatchMessages.encode(samples, firstSample: first, layout: &announced, stream: streamID, carriesLost: true,
                                     maxMessageBytes: Self.maxMessageBytes) { part, payload in
                    switch part {
                    case .channels(let names):
                        out.append(Message(topic: address.channelsTopic, payload: payload, retain: true, samples: 0))
                        out.append(contentsOf: homeAssistantConfigs(names))
                    case .samples(let count):
                        out.append(Message(topic: address.samplesTopic, payload: payload, retain: false, samples: count))
                    }
                }
                publishedLayout = announced
                layout = announced
                if homeAssistant != nil, let last = samples.last, last.timeMicros - (lastStateMicros ?? .min / 2) >= 1_000_000 {
                    lastStateMicros = last.timeMicros
                    out.append(Message(topic: address.stateTopic, payload: HomeAssistantDiscovery.state(last), retain: false, samples: 0))
                }
            case .lost:
                break  // carried by the sample after it: the `lost` of the samples message it begins
            case .stateChange(let state, let detail, _, let sequence):
                source.state = state
                source.detail = detail
                nextSample = sequence
                if connected { out.append(statusMessage(presence: .online)) }
            }
        }
        return (out, dropped)
    }

    /// The last word before a planned disconnect.
    func farewell() -> Message {
        var stopped = source
        stopped.state = .stopped
        stopped.detail = "the bridge publishing \(address.base) was stopped"
        return Message(topic: address.statusTopic,
                       payload: MQTTMessages.status(stopped, stream: streamID, nextSample: nextSample, presence: .stopped),
                       retain: true, samples: 0)
    }

    private func statusMessage(presence: MQTTMessages.Presence) -> Message {
        Message(topic: address.statusTopic,
                payload: MQTTMessages.status(source, stream: streamID, nextSample: nextSample, presence: presence),
                retain: true, samples: 0)
    }

    /// The retained names as a newcomer needs them, and Home Assistant's configs.
    private mutating func describe(_ names: ChannelLayout) -> [Message] {
        publishedLayout = names
        return [Message(topic: address.channelsTopic, payload: BatchMessages.channels(names.names, from: nextSample),
                        retain: true, samples: 0)]
            + homeAssistantConfigs(names)
    }

    /// Home Assistant's configs for `names`: new channels added, gone ones removed.
    private mutating func homeAssistantConfigs(_ names: ChannelLayout) -> [Message] {
        guard let homeAssistant else { return [] }
        var out: [Message] = []
        for gone in discovered where !names.names.contains(gone) {
            out.append(Message(topic: homeAssistant.configTopic(channel: gone), payload: [], retain: true, samples: 0))
        }
        for channel in names.names {
            out.append(Message(topic: homeAssistant.configTopic(channel: channel),
                               payload: homeAssistant.config(channel: channel, sourceName: source.name),
                               retain: true, samples: 0))
        }
        discovered = names.names
        return out
    }
}
