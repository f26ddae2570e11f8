#if canImport(Glibc)
import Glibc
#endif
import SensorBridgeCore

/// Why a device could not be used, worded as what the user should do about it.
public struct SerialError: UserFacingError, Equatable {
    public let path: String
    public let operation: String
    public let errno: Int32

    public init(path: String, operation: String, errno: Int32) {
        self.path = path
        self.operation = operation
        self.errno = errno
    }

    public var description: String {
        let reason = String(cString: strerror(errno))
        switch errno {
        case EACCES, EPERM:
            return "cannot open \(path): permission denied. Add yourself to the 'dialout' group "
                + "(sudo usermod -aG dialout $USER, then log in again) or install hardware/99-sensorbridge.rules."
        case EBUSY:
            return "cannot open \(path): the port is busy; another program holds it "
                + "(the Arduino IDE's serial monitor, another sensorbridge, ModemManager?). Close it and try again."
        case ENOENT:
            return "cannot open \(path): no such device. Is the board plugged in? `sensorbridge list` shows the serial devices found."
        case ENOTTY:
            return "\(path) is not a serial device (\(operation): \(reason))."
        case EIO, ENXIO, ENODEV:
            return "\(path) went away (\(operation): \(reason)); was the board unplugged?"
        default:
            return "\(operation) \(path) failed: \(reason) (errno \(errno))."
        }
    }
}
