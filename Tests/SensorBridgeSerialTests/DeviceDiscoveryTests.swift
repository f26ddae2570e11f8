import Foundation
import Testing
import TestSupport
@testable import SensorBridgeSerial

/// The device decisions, on udev attribute sets (`Tests/Fixtures/udev/`): what is a serial
/// port, what is an Arduino-class board, which one to read, and where it went after a replug.
struct DeviceDiscoveryTests {
    private func devices(_ file: String) throws -> [SerialDeviceInfo] {
        let url = URL(fileURLWithPath: BridgeProcess.packageRoot + "/Tests/Fixtures/udev/" + file)
        let records = try JSONDecoder().decode([UdevTTYRecord].self, from: Data(contentsOf: url))
        return records.compactMap(SerialDeviceInfo.init(record:)).sorted { $0.devnode < $1.devnode }
    }

    @Test func consolesPtysAndEmptyLegacyPortsAreNotSerialPorts() throws {
        #expect(try devices("this-machine.json").map(\.devnode) == ["/dev/ttyS0"])
        #expect(try devices("desktop-uno-and-ch340.json").map(\.devnode)
            == ["/dev/ttyACM0", "/dev/ttyACM1", "/dev/ttyS0", "/dev/ttyUSB0"])
        #expect(try devices("laptop-teensy-no-udevd.json").map(\.devnode) == ["/dev/ttyACM0", "/dev/ttyUSB0"])
    }

    @Test func usbFactsComeFromTheUSBParent() throws {
        let uno = try #require(try devices("desktop-uno-and-ch340.json").first)
        #expect(uno.usb == USBDeviceFacts(
            vendorID: "2341", productID: "0043", manufacturer: "Arduino (www.arduino.cc)", product: nil,
            serialNumber: "75833353934351B05151"))
        #expect(uno.driver == "cdc_acm")
        #expect(uno.preferredPath == "/dev/serial/by-id/usb-Arduino__www.arduino.cc__0043_75833353934351B05151-if00")
        // IDs are compared in lower case, whatever case sysfs gave.
        let teensy = try #require(try devices("laptop-teensy-no-udevd.json").first)
        #expect(teensy.usb?.vendorID == "16c0")
        #expect(teensy.preferredPath == "/dev/ttyACM0")  // no udevd: no by-id link
    }

    @Test func arduinoClassBoardsAreMarked() throws {
        let desk = try devices("desktop-uno-and-ch340.json")
        #expect(desk.map { $0.boardVendor?.name } == ["Arduino", nil, nil, "WCH CH340"])
        #expect(desk[0].summary.hasPrefix("* /dev/ttyACM0  USB 2341:0043 Arduino (www.arduino.cc) (serial 75833353934351B05151)  driver cdc_acm  [Arduino]  /dev/serial/by-id/"))
        #expect(desk[1].summary.hasPrefix("  /dev/ttyACM1  USB 1199:68c0 Sierra Wireless"))
        #expect(desk[2].summary == "  /dev/ttyS0  no USB device  driver serial8250")
        for vendor in ["2341", "2a03", "1a86", "0403", "10c4", "239a", "16c0"] {
            #expect(BoardVendor.forVendor(vendor) != nil, "\(vendor)")
        }
        #expect(BoardVendor.forVendor("1199") == nil)
    }

    @Test func withNoDeviceGivenTheOnlyBoardIsChosen() throws {
        let laptop = try devices("laptop-teensy-no-udevd.json")
        #expect(DeviceChoice(devices: laptop) == .one(laptop[0]))
        #expect(DeviceChoice(devices: laptop).explanation == nil)
    }

    @Test func withSeveralBoardsNoneIsChosenAndEachIsNamed() throws {
        let desk = try devices("desktop-uno-and-ch340.json")
        let choice = DeviceChoice(devices: desk)
        #expect(choice == .several([desk[0], desk[3]]))
        let text = try #require(choice.explanation)
        #expect(text.hasPrefix("2 Arduino-class boards found; say which one to read:"))
        #expect(text.contains("sensorbridge /dev/serial/by-id/usb-Arduino__www.arduino.cc__0043_75833353934351B05151-if00"))
        #expect(text.contains("sensorbridge /dev/serial/by-id/usb-1a86_USB2.0-Serial-if00-port0"))
        #expect(!text.contains("Sierra"))
    }

    @Test func withNoBoardEverySerialDeviceIsShown() throws {
        let machine = try devices("this-machine.json")
        let choice = DeviceChoice(devices: machine)
        #expect(choice == .none(found: machine))
        let text = try #require(choice.explanation)
        #expect(text.contains("/dev/ttyS0"))
        #expect(text.contains("--replay"))
        #expect(DeviceChoice(devices: []).explanation?.contains("No serial devices at all") == true)
    }

    @Test func aBoardIsFollowedByItsSerialNumberNotByItsOldName() throws {
        let desk = try devices("desktop-uno-and-ch340.json")
        var uno = desk[0]
        uno.devnode = "/dev/ttyACM2"  // replugged: the Uno came back under another name
        var intruder = desk[1]
        intruder.devnode = "/dev/ttyACM0"  // and the modem took its old one
        let target = ReconnectTarget(requested: "/dev/ttyACM0", requestedIsLink: false, serialNumber: "75833353934351B05151")
        #expect(target.path(among: [intruder, uno]) == "/dev/ttyACM2")
        #expect(target.path(among: [intruder]) == nil)  // not back yet: the modem is not opened

        // A link is opened by name (and resolved afresh); so is a name with no serial number to follow.
        var scanned = false
        func scan() -> [SerialDeviceInfo] { scanned = true; return [uno] }
        let link = ReconnectTarget(requested: "/dev/serial/by-id/x", requestedIsLink: true, serialNumber: "75833353934351B05151")
        #expect(link.path(among: scan()) == "/dev/serial/by-id/x")
        let noSerial = ReconnectTarget(requested: "/dev/ttyUSB0", requestedIsLink: false, serialNumber: nil)
        #expect(noSerial.path(among: scan()) == "/dev/ttyUSB0")
        #expect(!scanned, "no scan is needed when the name is what is opened")
    }

    @Test func failedOpensBackOffUpToTwoSecondsAndANewNodeStartsAgain() {
        var backoff = SerialReader.Backoff()
        let start = Date()
        #expect(backoff.allowsAttempt(on: "/dev/pts/3", now: start))
        var delays: [Double] = []
        for _ in 0..<6 {
            backoff.failed(on: "/dev/pts/3", now: start)
            delays.append(backoff.delay)
        }
        #expect(delays == [0.25, 0.5, 1, 2, 2, 2])
        #expect(!backoff.allowsAttempt(on: "/dev/pts/3", now: start.addingTimeInterval(1.9)))
        #expect(backoff.allowsAttempt(on: "/dev/pts/3", now: start.addingTimeInterval(2)))
        #expect(backoff.allowsAttempt(on: "/dev/pts/4", now: start))
        backoff.failed(on: "/dev/pts/4", now: start)
        #expect(backoff.delay == 0.25)
    }
}
