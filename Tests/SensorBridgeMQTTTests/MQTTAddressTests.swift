import Testing
@testable import SensorBridgeMQTT

struct MQTTAddressTests {
    @Test func readsHostPortBaseAndCredentials() throws {
        let plain = try MQTTAddress(parsing: "mqtt://127.0.0.1:18830/lab/bench1")
        #expect(plain.host == "127.0.0.1" && plain.port == 18830 && plain.base == "lab/bench1" && !plain.tls)
        #expect(plain.samplesTopic == "lab/bench1/samples")
        #expect(plain.channelsTopic == "lab/bench1/channels")
        #expect(plain.statusTopic == "lab/bench1/status")

        let secure = try MQTTAddress(parsing: "mqtts://bridge:s%40cret@broker.example/lab/bench1/")
        #expect(secure.tls && secure.port == 8883 && secure.base == "lab/bench1")
        #expect(secure.username == "bridge" && secure.password == "s@cret")
        #expect(secure.displayed == "mqtts://bridge@broker.example:8883/lab/bench1", "the password never shows")

        let defaulted = try MQTTAddress(parsing: "mqtt://[::1]/bench")
        #expect(defaulted.host == "::1" && defaulted.port == 1883)
        #expect(defaulted.displayed == "mqtt://[::1]:1883/bench")
    }

    @Test(arguments: [
        ("http://broker/lab", "scheme"),
        ("mqtt://broker", "no base topic"),
        ("mqtt://broker/", "no base topic"),
        ("mqtt:///lab/bench1", "no broker host"),
        ("mqtt://broker/lab/+", "wildcard"),
        ("mqtt://broker/lab/#", "wildcard #"),
        ("mqtt://broker/lab?x=1", "no ?query"),
        ("mqtt://broker:0/lab", "port"),
        ("just words", "not an MQTT address"),
    ])
    func refusesWhatCannotBeABaseTopicWithTheReason(text: String, reason: String) {
        #expect {
            try MQTTAddress(parsing: text)
        } throws: { error in
            "\(error)".contains(reason)
        }
    }

    @Test func aRelayThatWouldReadItsOwnTopicIsRecognised() throws {
        let one = try MQTTAddress(parsing: "mqtt://Broker:1883/lab/a")
        #expect(one.sameStream(as: try MQTTAddress(parsing: "mqtt://broker/lab/a")))
        #expect(!one.sameStream(as: try MQTTAddress(parsing: "mqtt://broker/lab/b")))
        #expect(!one.sameStream(as: try MQTTAddress(parsing: "mqtt://other/lab/a")))
    }
}

struct ReconnectTests {
    @Test func backoffDoublesToItsCeilingWithJitterAndStartsOverAfterASuccess() {
        var backoff = ReconnectBackoff(first: 0.25, maximum: 8)
        let full = (0..<8).map { _ in backoff.failed(random: 1) }
        #expect(full == [0.25, 0.5, 1, 2, 4, 8, 8, 8])
        backoff.succeeded()
        #expect(backoff.failed(random: 0) == 0.125, "the least is half the step")
        #expect(backoff.failed(random: 0.5) == 0.375)
    }

    @Test func theScheduleAttemptsWaitsForTheAnswerAndGivesUpOnASilentBroker() {
        var schedule = LinkSchedule(backoff: ReconnectBackoff(first: 1, maximum: 4), connectTimeoutMicros: 10_000_000)
        #expect(schedule.next(nowMicros: 0) == .attempt)
        schedule.attempted(nowMicros: 0)
        #expect(schedule.next(nowMicros: 9_999_999) == .service)
        #expect(schedule.next(nowMicros: 10_000_000) == .timedOut)
        let wait = schedule.failed(nowMicros: 10_000_000, random: 1)
        #expect(wait == 1)
        #expect(schedule.next(nowMicros: 10_500_000) == .sleep(until: 11_000_000))
        #expect(schedule.next(nowMicros: 11_000_000) == .attempt)
        schedule.attempted(nowMicros: 11_000_000)
        schedule.connected()
        #expect(schedule.isConnected && schedule.next(nowMicros: 99_000_000) == .service, "a connection does not time out")
        #expect(schedule.failed(nowMicros: 99_000_000, random: 1) == 1, "a success resets the backoff")
        #expect(!schedule.isConnected)
    }
}
