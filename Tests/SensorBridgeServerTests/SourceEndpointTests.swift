import NIOHTTP1
import SensorBridgeStream
import Testing
@testable import SensorBridgeServer

/// `/api/sources`: what each request is answered, decided before anything is done.
@Suite struct SourceEndpointTests {
    private func answer(_ method: HTTPMethod, _ uri: String, kind: SourceKind = .serial, canRelease: Bool = true,
                        foreign: String? = nil) -> SourceEndpoint.Answer {
        SourceEndpoint.answer(method: method, uri: uri,
                              sources: [.init(name: "ttyACM0", kind: kind, canRelease: canRelease),
                                        .init(name: "esp32", kind: .tcp, canRelease: false)],
                              foreignOrigin: foreign)
    }

    @Test func listingReleasingAndReopening() {
        #expect(answer(.GET, "/api/sources") == .list)
        #expect(answer(.GET, "/api/sources/?token=x") == .list)
        #expect(answer(.POST, "/api/sources/ttyACM0/release") == .release(source: "ttyACM0", seconds: SourceEndpoint.defaultSeconds))
        #expect(answer(.POST, "/api/sources/ttyACM0/release?token=a&seconds=12.5") == .release(source: "ttyACM0", seconds: 12.5))
        #expect(answer(.POST, "/api/sources/ttyACM0/reopen") == .reopen(source: "ttyACM0"))
    }

    @Test(arguments: ["0", "-1", "3601", "nan", "inf", "1e400", "12345678901234567890", "", "x"])
    func secondsOutOfRangeAreRefused(seconds: String) {
        guard case .refuse(let status, let reason, _) = answer(.POST, "/api/sources/ttyACM0/release?seconds=\(seconds)") else {
            Issue.record("seconds=\(seconds) was taken")
            return
        }
        #expect(status == .badRequest)
        #expect(reason.contains("from 1 to 3600"))
    }

    @Test func anotherMachineMayReleaseOnlyWithTheTokenOrWhereSendingIsOn() {
        #expect(SourceEndpoint.remoteRefusal(peerIsLoopback: true, hasToken: false, sendingAllowed: false) == nil)
        #expect(SourceEndpoint.remoteRefusal(peerIsLoopback: false, hasToken: true, sendingAllowed: false) == nil)
        #expect(SourceEndpoint.remoteRefusal(peerIsLoopback: false, hasToken: false, sendingAllowed: true) == nil)
        #expect(SourceEndpoint.remoteRefusal(peerIsLoopback: false, hasToken: false, sendingAllowed: false)?
            .hasPrefix("releasing the port from another machine needs the bridge's access token") == true)
        #expect(answer(.GET, "/api/sources").actsOnTheBoard == false)
        #expect(answer(.POST, "/api/sources/ttyACM0/reopen").actsOnTheBoard)
    }

    @Test func refusalsSayWhy() {
        func refusal(_ answer: SourceEndpoint.Answer) -> (HTTPResponseStatus, String, String?)? {
            if case .refuse(let status, let reason, let allow) = answer { return (status, reason, allow) }
            return nil
        }
        let get = refusal(answer(.GET, "/api/sources/ttyACM0/release"))
        #expect(get?.0 == .methodNotAllowed && get?.2 == "POST")
        #expect(refusal(answer(.POST, "/api/sources"))?.0 == .methodNotAllowed)
        let unknown = refusal(answer(.POST, "/api/sources/ttyUSB9/release"))
        #expect(unknown?.0 == .notFound && unknown?.1 == "no source is named 'ttyUSB9'; this bridge has: ttyACM0, esp32")
        #expect(refusal(answer(.POST, "/api/sources/ttyACM0/explode"))?.0 == .notFound)
        #expect(refusal(answer(.POST, "/api/sources/ttyACM0"))?.0 == .notFound)
        #expect(refusal(answer(.POST, "/api/sourcesX"))?.0 == .notFound)
        #expect(refusal(answer(.POST, "/api/sources_ttyACM0/release"))?.0 == .notFound, "not a release of ttyACM0")
        let replay = refusal(answer(.POST, "/api/sources/ttyACM0/release", kind: .replay, canRelease: false))
        #expect(replay?.0 == .conflict && replay?.1 == "a replay reads a file: there is no port to release")
        let relay = refusal(answer(.POST, "/api/sources/ttyACM0/reopen", kind: .mqtt, canRelease: false))
        #expect(relay?.0 == .conflict && relay?.1.contains("release the port at the bridge the board is plugged into") == true)
        let foreign = refusal(answer(.POST, "/api/sources/ttyACM0/release", foreign: "http://evil.example"))
        #expect(foreign?.0 == .forbidden && foreign?.1.hasPrefix("pages from http://evil.example may not release") == true)
        // Each source by its own kind: a board on the network has no port here.
        let network = refusal(answer(.POST, "/api/sources/esp32/release"))
        #expect(network?.0 == .conflict && network?.1 == "the board is on the network: there is no serial port here to release")
        // A percent-encoded name is the name.
        #expect(answer(.POST, "/api/sources/tty%41CM0/reopen") == .reopen(source: "ttyACM0"))
    }
}
