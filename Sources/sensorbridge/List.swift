import ArgumentParser
import Foundation
import SensorBridgeSerial

/// `sensorbridge list`: which serial devices there are, so a user can tell which one is the board.
struct List: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List serial devices: path, USB vendor:product, names, serial number, driver, /dev/serial/by-id links.",
        discussion: "Devices that look like Arduino-class boards are marked with *."
    )

    @Flag(help: "Print what libudev says of every tty device, as JSON (for bug reports and test fixtures).")
    var records = false

    func run() throws {
        if records {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            print(String(decoding: try encoder.encode(SerialDeviceScanner.records()), as: UTF8.self))
            return
        }
        let devices = SerialDeviceScanner.scan()
        if devices.isEmpty {
            print("No serial devices found. Plug the board in (check `dmesg` for ttyACM/ttyUSB), then run this again.")
            return
        }
        for device in devices { print(device.summary) }
        if devices.contains(where: { $0.boardVendor != nil }) {
            print("* looks like an Arduino-class board (by its USB vendor)")
        } else {
            print("(none of these looks like an Arduino-class board: USB vendors "
                + BoardVendor.known.map(\.vendorID).joined(separator: ", ") + ")")
        }
    }
}
