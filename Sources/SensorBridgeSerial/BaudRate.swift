#if canImport(Glibc)
import Glibc
#endif

/// Baud rates: the standard termios table, set through `cfsetspeed`; any other rate (the
/// Arduino IDE's 250000, 74880, 31250, ...) goes to the driver through termios2 (`BOTHER`),
/// and the driver decides whether it can make it.
public enum BaudRate {
    public static let standardRates: [Int] = [
        300, 600, 1200, 1800, 2400, 4800, 9600, 19200, 38400, 57600, 115200, 230400, 460800,
        500000, 576000, 921600, 1000000, 1152000, 1500000, 2000000, 2500000, 3000000, 3500000, 4000000,
    ]

    /// The termios constant for `rate`, or nil when it is not a standard rate.
    public static func speed(for rate: Int) -> speed_t? {
        switch rate {
        case 300: return speed_t(B300)
        case 600: return speed_t(B600)
        case 1200: return speed_t(B1200)
        case 1800: return speed_t(B1800)
        case 2400: return speed_t(B2400)
        case 4800: return speed_t(B4800)
        case 9600: return speed_t(B9600)
        case 19200: return speed_t(B19200)
        case 38400: return speed_t(B38400)
        case 57600: return speed_t(B57600)
        case 115200: return speed_t(B115200)
        case 230400: return speed_t(B230400)
        case 460800: return speed_t(B460800)
        case 500000: return speed_t(B500000)
        case 576000: return speed_t(B576000)
        case 921600: return speed_t(B921600)
        case 1000000: return speed_t(B1000000)
        case 1152000: return speed_t(B1152000)
        case 1500000: return speed_t(B1500000)
        case 2000000: return speed_t(B2000000)
        case 2500000: return speed_t(B2500000)
        case 3000000: return speed_t(B3000000)
        case 3500000: return speed_t(B3500000)
        case 4000000: return speed_t(B4000000)
        default: return nil
        }
    }

    /// Beyond what any UART driver does; below it, only the driver can say no.
    public static let plausibleRates = 50...20_000_000

    /// Why `rate` cannot be asked of any driver, or nil when the driver should be asked.
    public static func problem(with rate: Int) -> String? {
        plausibleRates.contains(rate) ? nil : "\(rate) is not a baud rate; " + standardRatesAdvice
    }

    /// The driver's answer to a rate it does not make (or makes too far off, beyond the 2 %
    /// a UART tolerates).
    public static func refusal(path: String, rate: Int, actual: Int?, reason: String?) -> String {
        var message = "\(path): the driver cannot set \(rate) baud"
        if let reason { message += " (\(reason))" }
        if let actual { message += " (it would run at \(actual) baud, more than 2 % off)" }
        return message + "; " + standardRatesAdvice
    }

    /// Whether the rate a driver settled on is close enough for a UART (±2 %).
    public static func isClose(_ actual: Int, to rate: Int) -> Bool {
        abs(actual - rate) * 50 <= rate
    }

    static var standardRatesAdvice: String {
        "the standard rates are: " + standardRates.map(String.init).joined(separator: ", ")
    }
}
