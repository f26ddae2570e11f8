import Foundation
import Testing
@testable import SensorBridgeStream

/// A source's kind is an enum; `/api/status` and the MQTT status messages still say it as
/// the words docs/protocol.md lists.
struct SourceKindTests {
    @Test func kindsAreTheProtocolsWords() throws {
        #expect(SourceKind.allCases.map(\.rawValue) == ["serial", "replay", "mqtt", "archive", "tcp", "udp"])
        for kind in SourceKind.allCases {
            let status = SourceStatus(kind: kind, name: "x", baud: nil)
            let json = try JSONSerialization.jsonObject(with: JSONEncoder().encode(status)) as? [String: Any]
            #expect(json?["kind"] as? String == kind.rawValue)
        }
        // Only a relay's board is elsewhere (a send there is refused with where to send it).
        #expect(SourceKind.allCases.filter(\.boardIsElsewhere) == [.mqtt])
    }
}
