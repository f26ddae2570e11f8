/// One serial device as `sensorbridge list` shows it. Plain data, so what is shown (and,
/// later, which device is chosen) can be decided and tested without libudev.
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

    /// One line for a terminal: `/dev/ttyACM0  USB 2341:0043 Arduino Uno (serial ...)  driver cdc_acm  by-id ...`.
    public var summary: String {
        var parts = [devnode]
        parts.append(usb.map(\.description) ?? "no USB device")
        if let driver { parts.append("driver \(driver)") }
        parts += byIDLinks
        return parts.joined(separator: "  ")
    }
}
