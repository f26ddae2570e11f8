import SensorBridgeStream
import Testing

@Suite struct ReleaseHoldTests {
    @Test func aHoldLastsItsSecondsAndTheAskerWaitsForTheConfirmation() {
        var hold = ReleaseHold()
        #expect(!hold.isHeld(nowMicros: 0))
        let ticket = hold.request(seconds: 2, by: "tool", nowMicros: 1_000_000)
        #expect(hold.isHeld(nowMicros: 2_999_999))
        #expect(!hold.isHeld(nowMicros: 3_000_000))
        #expect(hold.holder == "tool")
        #expect(!hold.isConfirmed(ticket))
        hold.confirm()
        #expect(hold.isConfirmed(ticket))
        // A renewal is a new ticket, not confirmed by the old confirmation.
        let renewal = hold.request(seconds: 5, by: "tool", nowMicros: 2_000_000)
        #expect(!hold.isConfirmed(renewal))
        #expect(hold.remainingMicros(nowMicros: 3_000_000) == 4_000_000)
        hold.reclaim()
        #expect(!hold.isHeld(nowMicros: 3_000_000))
        #expect(hold.remainingMicros(nowMicros: 3_000_000) == 0)
    }

    @Test(arguments: [(Double.nan, 0.0), (-.infinity, 0), (.infinity, 0), (-5, 0), (1e300, ReleaseHold.longestSeconds), (90, 90)])
    func secondsFromOutsideAreBoundedNeverTrapped(seconds: Double, held: Double) {
        var hold = ReleaseHold()
        _ = hold.request(seconds: seconds, by: "x", nowMicros: 1_000)
        #expect(hold.remainingMicros(nowMicros: 1_000) == Int64(held * 1_000_000))
        // Near the clock's end the end saturates instead of trapping.
        _ = hold.request(seconds: seconds, by: "x", nowMicros: Int64.max - 10)
        #expect(hold.remainingMicros(nowMicros: Int64.max - 10) == min(10, Int64(held * 1_000_000)))
    }
}

@Suite struct SourceNameTests {
    @Test(arguments: [
        (SourceKind.serial, "/dev/ttyACM0", "ttyACM0"),
        (.serial, "/dev/serial/by-id/usb-Arduino_LLC_Arduino_Uno_7573-if00", "usb-Arduino_LLC_Arduino_Uno_7573-if00"),
        (.serial, "/dev/pts/3", "pts3"),
        (.replay, "hardware/recordings/tilt-60s-50hz.log", "tilt-60s-50hz"),
        (.replay, "/tmp/.hidden", ".hidden"),
        (.mqtt, "mqtt://broker:1883/lab/bench1", "bench1"),
        (.archive, "/var/lib/x/ttyACM0.sqlite", "ttyACM0"),
        (.serial, "/dev/tty with space?", "tty-with-space-"),
        (.serial, "", "serial"),
        (.tcp, "tcp://esp32.local:23", "esp32.local-23"),
        (.tcp, "tcp://[fe80::1]:23", "fe80--1-23"),
        (.udp, "udp://:4210", "udp-4210"),
        (.udp, "udp://[::]:4210", "udp-4210"),
        (.udp, "udp://0.0.0.0:4210", "udp-4210"),
        (.udp, "udp://192.168.1.5:4210", "192.168.1.5-4210"),
    ])
    func theNameIsWhatIsLeftOfTheLocation(kind: SourceKind, location: String, name: String) {
        #expect(SourceName.derived(kind: kind, location: location) == name)
    }

    @Test func aLongLocationGivesANameOf64Characters() {
        #expect(SourceName.derived(kind: .serial, location: String(repeating: "é", count: 500)).count == 64)
    }
}
