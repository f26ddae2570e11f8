import ArgumentParser
import SensorBridgeSerial

/// `sensorbridge list`: which serial devices there are, so a user can tell which one is the board.
struct List: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List serial devices: path, USB vendor:product, names, driver, /dev/serial/by-id links."
    )

    func run() throws {
        let devices = SerialDeviceScanner.scan()
        if devices.isEmpty {
            print("No serial devices found. Plug the board in (check `dmesg` for ttyACM/ttyUSB), then run this again.")
            return
        }
        for device in devices { print(device.summary) }
    }
}
