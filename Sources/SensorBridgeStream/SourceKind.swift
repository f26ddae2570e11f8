/// What feeds a stream. What a source can do follows from its kind, decided where the kind is
/// and not by comparing names where it matters; the raw value is what `/api/status` and the
/// MQTT status messages say (`"kind":"serial"`).
public enum SourceKind: String, Sendable, Codable, CaseIterable {
    /// A board on a serial port (or a pseudo-terminal standing in for one).
    case serial
    /// A recording played back (`--replay`).
    case replay
    /// Another bridge's stream, read through a broker (`--source mqtt://…`).
    case mqtt
    /// A history store served with no source at all (`--archive`).
    case archive
    /// A board (or ser2net, ESP-Link) serving its lines over a TCP connection the bridge opens
    /// (`tcp://HOST:PORT`); lines can be sent back on it.
    case tcp
    /// Boards sending their lines as UDP datagrams to a port the bridge listens on
    /// (`udp://[ADDRESS]:PORT`); nothing can be sent back.
    case udp

    /// Whether the board that makes the stream is somewhere else: lines for it must be sent
    /// at the bridge it is plugged into.
    public var boardIsElsewhere: Bool { self == .mqtt }

    /// Why lines cannot be sent to a source of this kind, for the person who typed one; nil
    /// when they can (a serial board, a TCP peer).
    public var sendRefusal: String? {
        switch self {
        case .serial, .tcp: nil
        case .replay: "the bridge is replaying a recording: there is no board to send to"
        case .udp: "the board sends its lines over UDP: nothing can be sent back to it"
        case .mqtt: "this bridge relays another bridge's stream through a broker; send at the bridge the board is plugged into"
        case .archive: "an archive has no board to send to"
        }
    }

    /// Why a source of this kind cannot be released, for the user; nil when it can.
    public var releaseRefusal: String? {
        switch self {
        case .serial: nil
        case .replay: "a replay reads a file: there is no port to release"
        case .mqtt: "this bridge relays another bridge's stream: release the port at the bridge the board is plugged into"
        case .archive: "an archive has no source: there is no port to release"
        case .tcp, .udp: "the board is on the network: there is no serial port here to release"
        }
    }
}
