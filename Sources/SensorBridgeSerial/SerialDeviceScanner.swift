import CUdev
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The libudev side of device discovery, kept thin: it only copies what libudev says into
/// `UdevTTYRecord`s; every decision is made on those records. libudev reads sysfs directly,
/// so this works where no udevd runs (containers, CI); the by-id links are read from
/// /dev/serial/by-id, which exists only where udevd made it.
public enum SerialDeviceScanner {
    /// Every serial port there is, sorted by device node.
    public static func scan() -> [SerialDeviceInfo] {
        records().compactMap(SerialDeviceInfo.init(record:)).sorted { $0.devnode < $1.devnode }
    }

    /// What libudev says of every tty device.
    public static func records() -> [UdevTTYRecord] {
        guard let udev = udev_new() else { return [] }
        defer { udev_unref(udev) }
        guard let enumerate = udev_enumerate_new(udev) else { return [] }
        defer { udev_enumerate_unref(enumerate) }
        udev_enumerate_add_match_subsystem(enumerate, "tty")
        udev_enumerate_scan_devices(enumerate)

        let links = byIDLinks()
        var records: [UdevTTYRecord] = []
        var entry = udev_enumerate_get_list_entry(enumerate)
        while let current = entry {
            defer { entry = udev_list_entry_get_next(current) }
            guard let syspath = udev_list_entry_get_name(current),
                  let device = udev_device_new_from_syspath(udev, syspath) else { continue }
            defer { udev_device_unref(device) }
            records.append(record(of: device, links: links))
        }
        return records.sorted { $0.sysname < $1.sysname }
    }

    /// The record of the character device at `path` (symlinks followed), if it is a tty.
    public static func record(forPath path: String) -> UdevTTYRecord? {
        var info = stat()
        guard stat(path, &info) == 0, (info.st_mode & S_IFMT) == S_IFCHR else { return nil }
        guard let udev = udev_new() else { return nil }
        defer { udev_unref(udev) }
        guard let device = udev_device_new_from_devnum(udev, Int8(UInt8(ascii: "c")), info.st_rdev) else { return nil }
        defer { udev_device_unref(device) }
        return record(of: device, links: byIDLinks())
    }

    private static func record(of device: OpaquePointer, links: [String: [String]]) -> UdevTTYRecord {
        func text(_ pointer: UnsafePointer<CChar>?) -> String? { pointer.map { String(cString: $0) } }
        let devnode = text(udev_device_get_devnode(device))
        // Parents belong to their child: they are never unref'd here.
        let parent = udev_device_get_parent(device)
        var usb: [String: String]? = nil
        if let usbDevice = udev_device_get_parent_with_subsystem_devtype(device, "usb", "usb_device") {
            var attributes: [String: String] = [:]
            for name in ["idVendor", "idProduct", "manufacturer", "product", "serial"] {
                attributes[name] = text(udev_device_get_sysattr_value(usbDevice, name))
            }
            usb = attributes
        }
        return UdevTTYRecord(
            sysname: text(udev_device_get_sysname(device)) ?? "",
            devnode: devnode,
            hasParent: parent != nil,
            parentDriver: parent.flatMap { text(udev_device_get_driver($0)) },
            type: text(udev_device_get_sysattr_value(device, "type")),
            usb: usb,
            byIDLinks: devnode.flatMap { links[$0] } ?? [])
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
