/// Where to look for a device that went away. A symlink (a `/dev/serial/by-id` link, a udev
/// rule's name, socat's `link=`) is opened again by name, so it is resolved afresh. A plain
/// `/dev/ttyACM*` name is not stable (a board often comes back as the next number), so when
/// the board had a USB serial number, the bridge follows that number to whatever name it has
/// now, and never opens a different board that took the old name.
public struct ReconnectTarget: Sendable, Equatable {
    /// The path the user gave.
    public let requested: String
    /// Whether it was a symlink when the bridge started.
    public let requestedIsLink: Bool
    /// The USB serial number of the board last read, if it had one.
    public var serialNumber: String?

    public init(requested: String, requestedIsLink: Bool, serialNumber: String? = nil) {
        self.requested = requested
        self.requestedIsLink = requestedIsLink
        self.serialNumber = serialNumber
    }

    /// Whether finding the device needs the list of devices (else the path is tried as is).
    public var followsSerialNumber: Bool { !requestedIsLink && serialNumber != nil }

    /// The path to open now, or nil when the board is not (yet) back.
    /// - Parameter devices: the serial devices present; read only when `followsSerialNumber`.
    public func path(among devices: @autoclosure () -> [SerialDeviceInfo]) -> String? {
        guard followsSerialNumber else { return requested }
        return devices().first { $0.usb?.serialNumber == serialNumber }?.devnode
    }
}
