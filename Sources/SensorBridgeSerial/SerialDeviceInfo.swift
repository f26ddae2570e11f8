/// One serial device as `sensorbridge list` shows it. Plain data, so what is shown and which
/// device is chosen can be decided and tested without libudev.
public struct SerialDeviceInfo: Sendable, Equatable {
    public var devnode: String
    /// `/dev/serial/by-id/...` links that point at this device (stable across replugs).
    public var byIDLinks: [String]
    public var usb: USBDeviceFacts?
    /// The kernel driver of the device's parent (`cdc_acm`, `ch341`, `ftdi_sio`, `serial8250`, ...).
    public var driver: String?

    public init(devnode: String, byIDLinks: [String] = [], usb: USBDeviceFacts? = nil, driver: String? = nil) {
        self.devnode = devnode
        self.byIDLinks = byIDLinks
        self.usb = usb
        self.driver = driver
    }

    /// The board vendor when this looks like an Arduino-class board, else nil.
    public var boardVendor: BoardVendor? { usb.flatMap { BoardVendor.forVendor($0.vendorID) } }

    /// What to open for this device: its by-id link when it has one (the same name whatever
    /// order boards were plugged in), else its device node.
    public var preferredPath: String { byIDLinks.first ?? devnode }

    /// One line for a terminal, Arduino-class boards marked with `*`:
    /// `* /dev/ttyACM0  USB 2341:0043 Arduino (www.arduino.cc) (serial ...)  driver cdc_acm  [Arduino]  /dev/serial/by-id/...`.
    public var summary: String {
        var parts = [(boardVendor == nil ? "  " : "* ") + devnode]
        parts.append(usb.map(\.description) ?? "no USB device")
        if let driver { parts.append("driver \(driver)") }
        if let boardVendor { parts.append("[\(boardVendor.name)]") }
        parts += byIDLinks
        return parts.joined(separator: "  ")
    }
}
