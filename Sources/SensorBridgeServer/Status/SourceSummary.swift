/// One source of a bridge in a line: what `/api/sources` lists and `/api/status` ends with.
public struct SourceSummary: Codable, Sendable, Equatable {
    /// What `/graph?source=`, `/api/sources/NAME/…` and `sensorbridge release NAME` take.
    public var name: String
    public var kind: String
    /// The device, address, file or broker.
    public var location: String
    public var state: String
    public var detail: String
    /// Samples a second, lately.
    public var rate: Double
    /// Whether its port can be handed over for an upload.
    public var canRelease: Bool
}

extension GraphClients {
    public var summary: SourceSummary {
        let status = stream.sourceStatus
        return SourceSummary(name: sourceName, kind: status.kind.rawValue, location: status.name, state: status.state.rawValue,
                             detail: status.detail, rate: statusReport().rate, canRelease: release != nil)
    }
}
