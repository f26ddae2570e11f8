/// Which device `sensorbridge` with no device argument reads: the Arduino-class board when
/// there is exactly one. With none or several it does not guess; it says what it found and
/// what to pass, so a user never streams the wrong port without knowing.
public enum DeviceChoice: Equatable, Sendable {
    case one(SerialDeviceInfo)
    /// No Arduino-class board; `found` is every serial device there is.
    case none(found: [SerialDeviceInfo])
    case several([SerialDeviceInfo])

    public init(devices: [SerialDeviceInfo]) {
        let boards = devices.filter { $0.boardVendor != nil }
        switch boards.count {
        case 0: self = .none(found: devices)
        case 1: self = .one(boards[0])
        default: self = .several(boards)
        }
    }

    /// For `.none` and `.several`: what was found and what to do, for the terminal.
    public var explanation: String? {
        switch self {
        case .one:
            return nil
        case .none(let found):
            var lines = ["no Arduino-class board found (USB vendors: "
                + BoardVendor.known.map { "\($0.vendorID) \($0.name)" }.joined(separator: ", ") + ")."]
            if found.isEmpty {
                lines.append("No serial devices at all: is the board plugged in? (`dmesg` shows ttyACM/ttyUSB when it is.)")
            } else {
                lines.append("Serial devices found:")
                lines += found.map { "  " + $0.summary }
                lines.append("If one of these is the board, pass it: sensorbridge \(found[0].preferredPath)")
            }
            lines.append("Without a board: sensorbridge --replay hardware/recordings/tilt-60s-50hz.log")
            return lines.joined(separator: "\n")
        case .several(let boards):
            return (["\(boards.count) Arduino-class boards found; say which one to read:"]
                + boards.map { "  sensorbridge \($0.preferredPath)    (\($0.usb.map(\.description) ?? $0.devnode))" })
                .joined(separator: "\n")
        }
    }
}
