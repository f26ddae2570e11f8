import CUdev
#if canImport(Glibc)
import Glibc
#endif

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
        var info = stat()
        guard stat(path, &info) == 0, (info.st_mode & S_IFMT) == S_IFCHR else { return nil }
        guard let udev = udev_new() else { return nil }
        defer { udev_unref(udev) }
        guard let device = udev_device_new_from_devnum(udev, Int8(UInt8(ascii: "c")), info.st_rdev) else { return nil }
        defer { udev_device_unref(device) }
        // The parent is owned by the child; it must not be unref'd.
        guard let usb = udev_device_get_parent_with_subsystem_devtype(device, "usb", "usb_device") else { return nil }
        func attribute(_ name: String) -> String? {
            guard let value = udev_device_get_sysattr_value(usb, name) else { return nil }
            return String(cString: value)
        }
        guard let vendor = attribute("idVendor"), let product = attribute("idProduct") else { return nil }
        return USBDeviceFacts(
            vendorID: vendor, productID: product,
            manufacturer: attribute("manufacturer"), product: attribute("product"),
            serialNumber: attribute("serial")
        )
    }
}
