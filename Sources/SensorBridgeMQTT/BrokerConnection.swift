/// What a link needs to reach its broker, the same for publishing and for relaying.
public struct BrokerConnection: Sendable {
    public var address: MQTTAddress
    /// Unique per broker: a second client with the same id pushes the first one off.
    public var clientID: String
    /// For `mqtts://`; the system's certificates when nil.
    public var caFile: String?

    public init(address: MQTTAddress, clientID: String, caFile: String? = nil) {
        self.address = address
        self.clientID = clientID
        self.caFile = caFile
    }
}
