import CUdev
#if canImport(Glibc)
import Glibc
#endif

/// udev's tty add and remove events, where udevd runs: with them the bridge notices a board's
/// return at once. Where no udevd runs (containers, CI) no event ever comes, and the reader's
/// waits simply time out, which makes it fall back to looking four times a second.
/// The reader polls `fileDescriptor` itself, beside the device's.
final class HotplugMonitor {
    struct Event: Equatable {
        var action: String
        var devnode: String?
    }

    private let udev: OpaquePointer
    private let monitor: OpaquePointer
    let fileDescriptor: Int32

    /// nil when no netlink monitor can be made (then the reader polls).
    init?() {
        guard let udev = udev_new() else { return nil }
        guard let monitor = udev_monitor_new_from_netlink(udev, "udev") else {
            udev_unref(udev)
            return nil
        }
        udev_monitor_filter_add_match_subsystem_devtype(monitor, "tty", nil)
        guard udev_monitor_enable_receiving(monitor) == 0 else {
            udev_monitor_unref(monitor)
            udev_unref(udev)
            return nil
        }
        self.udev = udev
        self.monitor = monitor
        self.fileDescriptor = udev_monitor_get_fd(monitor)
    }

    deinit {
        udev_monitor_unref(monitor)
        udev_unref(udev)
    }

    /// The events already received, without waiting.
    func pending() -> [Event] {
        var events: [Event] = []
        while let device = udev_monitor_receive_device(monitor) {
            defer { udev_device_unref(device) }
            events.append(Event(
                action: udev_device_get_action(device).map { String(cString: $0) } ?? "",
                devnode: udev_device_get_devnode(device).map { String(cString: $0) }))
        }
        return events
    }
}
