import CUdev
import Foundation

/// Lists the machine's serial devices through libudev. It reads sysfs directly, so it works
/// where no udevd runs (containers, CI); the by-id links are read from /dev/serial/by-id.
public enum SerialDeviceScanner {
    public static func scan() -> [SerialDeviceInfo] {
        guard let udev = udev_new() else { return [] }
        defer { udev_unref(udev) }
        guard let enumerate = udev_enumerate_new(udev) else { return [] }
        defer { udev_enumerate_unref(enumerate) }
        udev_enumerate_add_match_subsystem(enumerate, "tty")
        udev_enumerate_scan_devices(enumerate)

        let links = byIDLinks()
        var devices: [SerialDeviceInfo] = []
        var entry = udev_enumerate_get_list_entry(enumerate)
        while let current = entry {
            defer { entry = udev_list_entry_get_next(current) }
            guard let syspath = udev_list_entry_get_name(current),
                  let device = udev_device_new_from_syspath(udev, syspath) else { continue }
            defer { udev_device_unref(device) }
            // Virtual terminals and ptys have no parent device: they are not serial ports.
            guard let parent = udev_device_get_parent(device),
                  let devnodePointer = udev_device_get_devnode(device) else { continue }
            let devnode = String(cString: devnodePointer)
            // Legacy ttyS ports exist whether or not a UART is behind them; type 0 means none.
            if devnode.hasPrefix("/dev/ttyS"),
               let type = udev_device_get_sysattr_value(device, "type"), String(cString: type) == "0" { continue }
            devices.append(SerialDeviceInfo(
                devnode: devnode,
                byIDLinks: links[devnode] ?? [],
                usb: USBDeviceFacts.lookUp(path: devnode),
                driver: udev_device_get_driver(parent).map { String(cString: $0) }
            ))
        }
        return devices.sorted { $0.devnode < $1.devnode }
    }

    /// devnode → the /dev/serial/by-id links resolving to it.
    private static func byIDLinks() -> [String: [String]] {
        let folder = "/dev/serial/by-id"
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: folder) else { return [:] }
        var links: [String: [String]] = [:]
        for name in names.sorted() {
            let link = folder + "/" + name
            let target = URL(fileURLWithPath: link).resolvingSymlinksInPath().path
            links[target, default: []].append(link)
        }
        return links
    }
}
