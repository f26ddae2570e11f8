/// What libudev says about one tty device, as plain data. It is the input of every decision
/// about devices (is it a serial port, is it an Arduino-class board, which one to open), so
/// those decisions are pure functions tested on recorded sets; `sensorbridge list --records`
/// prints it, so a set can be recorded on any machine.
public struct UdevTTYRecord: Codable, Sendable, Equatable {
    /// The kernel's name: `ttyACM0`, `ttyUSB0`, `ttyS0`, `tty1`.
    public var sysname: String
    public var devnode: String?
    /// Whether a device sits behind the tty. Virtual consoles and ptys have none.
    public var hasParent: Bool
    /// The driver of that device: `cdc_acm`, `ch341-uart`, `ftdi_sio`, `cp210x`, `serial8250`.
    public var parentDriver: String?
    /// The tty's sysfs `type`: for ttyS ports the UART type, `0` when no UART is behind it.
    public var type: String?
    /// Attributes of the USB device the tty belongs to (`idVendor`, `idProduct`,
    /// `manufacturer`, `product`, `serial`), read through the USB parent, so no udevd is needed.
    public var usb: [String: String]?
    /// `/dev/serial/by-id` links that point at `devnode` (made by udevd, when it runs).
    public var byIDLinks: [String]

    public init(
        sysname: String, devnode: String?, hasParent: Bool, parentDriver: String? = nil, type: String? = nil,
        usb: [String: String]? = nil, byIDLinks: [String] = []
    ) {
        self.sysname = sysname
        self.devnode = devnode
        self.hasParent = hasParent
        self.parentDriver = parentDriver
        self.type = type
        self.usb = usb
        self.byIDLinks = byIDLinks
    }
}

extension SerialDeviceInfo {
    /// The serial port a record describes, or nil when it is not one: no device node, nothing
    /// behind it (a console, a pty), or a legacy ttyS port with no UART (type 0).
    public init?(record: UdevTTYRecord) {
        guard let devnode = record.devnode, record.hasParent else { return nil }
        if record.sysname.hasPrefix("ttyS"), record.type == "0" { return nil }
        self.init(
            devnode: devnode, byIDLinks: record.byIDLinks,
            usb: record.usb.flatMap(USBDeviceFacts.init(attributes:)), driver: record.parentDriver)
    }
}

extension USBDeviceFacts {
    /// From the USB device's sysfs attributes; nil without vendor and product IDs.
    public init?(attributes: [String: String]) {
        guard let vendor = attributes["idVendor"], let product = attributes["idProduct"] else { return nil }
        self.init(
            vendorID: vendor.lowercased(), productID: product.lowercased(),
            manufacturer: attributes["manufacturer"], product: attributes["product"],
            serialNumber: attributes["serial"])
    }
}
