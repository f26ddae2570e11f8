/// The USB vendors whose serial devices are almost always a microcontroller board: the
/// Arduinos themselves and the USB-serial chips clones and other boards use. A device from
/// one of them is "Arduino-class": `sensorbridge list` marks it, and with no device given
/// the bridge uses it when it is the only one.
public struct BoardVendor: Sendable, Equatable {
    public let vendorID: String
    public let name: String

    public static let known: [BoardVendor] = [
        BoardVendor(vendorID: "2341", name: "Arduino"),
        BoardVendor(vendorID: "2a03", name: "Arduino (arduino.org)"),
        BoardVendor(vendorID: "1a86", name: "WCH CH340"),
        BoardVendor(vendorID: "0403", name: "FTDI"),
        BoardVendor(vendorID: "10c4", name: "Silicon Labs CP210x"),
        BoardVendor(vendorID: "239a", name: "Adafruit"),
        BoardVendor(vendorID: "16c0", name: "Teensy"),
    ]

    public static func forVendor(_ vendorID: String) -> BoardVendor? {
        known.first { $0.vendorID == vendorID.lowercased() }
    }
}
