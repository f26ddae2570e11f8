import Testing
@testable import SensorBridgeNetwork

struct NetworkSourceAddressTests {
    private func parsed(_ text: String) throws -> NetworkSourceAddress {
        try NetworkSourceAddress(parsing: text)
    }

    private func refusal(_ text: String) -> String? {
        do {
            _ = try NetworkSourceAddress(parsing: text)
            return nil
        } catch {
            return error.description
        }
    }

    @Test func tcpNamesAHostAndAPort() throws {
        let address = try parsed("tcp://192.168.1.20:23")
        #expect(address == NetworkSourceAddress(transport: .tcp, host: "192.168.1.20", port: 23))
        #expect(address.displayed == "tcp://192.168.1.20:23")
        #expect(try parsed("TCP://esp-link.local:2323/").displayed == "tcp://esp-link.local:2323", "scheme in capitals, a bare trailing slash")
    }

    @Test func udpWithNoAddressListensEverywhere() throws {
        let address = try parsed("udp://:4210")
        #expect(address.transport == .udp)
        #expect(address.host.isEmpty)
        #expect(address.listensEverywhere)
        #expect(address.port == 4210)
        #expect(address.displayed == "udp://:4210")
        #expect(try parsed("udp://0.0.0.0:4210").host == "0.0.0.0")
    }

    @Test func ipv6LiteralsGoInBracketsAndAreShownInThem() throws {
        let loopback = try parsed("udp://[::1]:4210")
        #expect(loopback.host == "::1")
        #expect(loopback.displayed == "udp://[::1]:4210")
        let linkLocal = try parsed("tcp://[fe80::1]:23")
        #expect(linkLocal.host == "fe80::1")
        #expect(linkLocal.displayed == "tcp://[fe80::1]:23")
        #expect(try parsed("tcp://[fe80::1%eth0]:23").host == "fe80::1%eth0", "a zone names the interface")
        #expect(try parsed("udp://[::]:4210").host == "::")
    }

    @Test func aMissingPortIsSaid() {
        #expect(refusal("tcp://192.168.1.20")?.contains("has no port") == true)
        #expect(refusal("tcp://192.168.1.20:")?.contains("has no port") == true)
        #expect(refusal("udp://[::1]")?.contains("has no port") == true)
        #expect(refusal("udp://")?.contains("has no port") == true)
    }

    @Test func aPortOutsideOneTo65535IsSaidWithoutTrapping() {
        for port in ["0", "65536", "99999999999999999999999999999999", "-1", "+23", "2x", " 23", "0x17"] {
            let reason = refusal("tcp://host:\(port)")
            #expect(reason?.contains("is not a number from 1 to 65535") == true, "\(port): \(reason ?? "accepted")")
        }
        #expect((try? parsed("tcp://host:65535"))?.port == 65535)
        #expect((try? parsed("tcp://host:00023"))?.port == 23, "leading zeros are still the number")
    }

    @Test func tcpNeedsAHost() {
        #expect(refusal("tcp://:23")?.contains("names no host") == true)
    }

    @Test func aPathQueryOrFragmentIsRefused() {
        #expect(refusal("tcp://host:23/serial")?.contains("has a path") == true)
        #expect(refusal("tcp://host:23?baud=9600")?.contains("has a ?query") == true)
        #expect(refusal("udp://:4210#x")?.contains("has a #fragment") == true)
    }

    @Test func anUnknownSchemeOrNoSchemeIsSaid() {
        #expect(refusal("http://host:80")?.contains("must be tcp:// or udp://, not http://") == true)
        #expect(refusal("192.168.1.20:23")?.contains("is not a network address") == true)
    }

    @Test func otherMistakesAreNamed() {
        #expect(refusal("tcp://::1:23")?.contains("put an IPv6 address in brackets") == true)
        #expect(refusal("tcp://[::1:23")?.contains("is not closed") == true)
        #expect(refusal("tcp://[::1]23")?.contains("after the ]") == true)
        #expect(refusal("tcp://[board]:23")?.contains("is not an IPv6 address") == true)
        #expect(refusal("tcp://user@host:23")?.contains("takes no user name") == true)
        #expect(refusal("tcp://my host:23")?.contains("a space") == true)
    }

    @Test func everyRefusalIsASentenceThatQuotesTheInput() {
        for text in ["tcp://x", "tcp://x:0", "tcp://:1", "tcp://x:1/p", "ftp://x:1", "x", "udp://[zz]:1"] {
            let reason = refusal(text)
            #expect(reason?.contains(text) == true, "\(text): \(reason ?? "accepted")")
        }
    }
}
