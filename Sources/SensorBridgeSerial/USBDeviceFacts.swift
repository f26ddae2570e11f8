/// What the USB descriptors say about the board behind a tty, read through libudev from
/// sysfs (works without a running udevd). Printed at start-up so a user sees which board
/// is being read; `nil` for devices with no USB parent (a built-in UART, a pty).
public struct USBDeviceFacts: Sendable, Equatable, CustomStringConvertible {
    public var vendorID: String
    public var productID: String
    public var manufacturer: String?
    public var product: String?
    public var serialNumber: String?

    public var description: String {
        var text = "USB \(vendorID):\(productID)"
        let names = [manufacturer, product].compactMap { $0 }
        if !names.isEmpty { text += " " + names.joined(separator: " ") }
        if let serialNumber { text += " (serial \(serialNumber))" }
        return text
    }

    /// Looks up the character device at `path` (symlinks followed).
    public static func lookUp(path: String) -> USBDeviceFacts? {
        SerialDeviceScanner.record(forPath: path)?.usb.flatMap(USBDeviceFacts.init(attributes:))
    }
}
