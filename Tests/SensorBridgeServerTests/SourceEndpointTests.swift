import NIOHTTP1
import SensorBridgeStream
import Testing
@testable import SensorBridgeServer

/// `/api/sources`: what each request is answered, decided before anything is done.
@Suite struct SourceEndpointTests {
    private func answer(_ method: HTTPMethod, _ uri: String, kind: SourceKind = .serial, canRelease: Bool = true,
                        foreign: String? = nil) -> SourceEndpoint.Answer {
        SourceEndpoint.answer(method: method, uri: uri, source: "ttyACM0", kind: kind, canRelease: canRelease, foreignOrigin: foreign)
    }

    @Test func listingReleasingAndReopening() {
        #expect(answer(.GET, "/api/sources") == .list)
        #expect(answer(.GET, "/api/sources/?token=x") == .list)
        #expect(answer(.POST, "/api/sources/ttyACM0/release") == .release(seconds: SourceEndpoint.defaultSeconds))
        #expect(answer(.POST, "/api/sources/ttyACM0/release?token=a&seconds=12.5") == .release(seconds: 12.5))
        #expect(answer(.POST, "/api/sources/ttyACM0/reopen") == .reopen)
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

    @Test func refusalsSayWhy() {
        func refusal(_ answer: SourceEndpoint.Answer) -> (HTTPResponseStatus, String, String?)? {
            if case .refuse(let status, let reason, let allow) = answer { return (status, reason, allow) }
            return nil
        }
        let get = refusal(answer(.GET, "/api/sources/ttyACM0/release"))
        #expect(get?.0 == .methodNotAllowed && get?.2 == "POST")
        #expect(refusal(answer(.POST, "/api/sources"))?.0 == .methodNotAllowed)
        let unknown = refusal(answer(.POST, "/api/sources/ttyUSB9/release"))
        #expect(unknown?.0 == .notFound && unknown?.1 == "no source is named 'ttyUSB9'; this bridge has: ttyACM0")
        #expect(refusal(answer(.POST, "/api/sources/ttyACM0/explode"))?.0 == .notFound)
        #expect(refusal(answer(.POST, "/api/sources/ttyACM0"))?.0 == .notFound)
        #expect(refusal(answer(.POST, "/api/sourcesX"))?.0 == .notFound)
        let replay = refusal(answer(.POST, "/api/sources/ttyACM0/release", kind: .replay, canRelease: false))
        #expect(replay?.0 == .conflict && replay?.1 == "a replay reads a file: there is no port to release")
        let relay = refusal(answer(.POST, "/api/sources/ttyACM0/reopen", kind: .mqtt, canRelease: false))
        #expect(relay?.0 == .conflict && relay?.1.contains("release the port at the bridge the board is plugged into") == true)
        let foreign = refusal(answer(.POST, "/api/sources/ttyACM0/release", foreign: "http://evil.example"))
        #expect(foreign?.0 == .forbidden && foreign?.1.hasPrefix("pages from http://evil.example may not release") == true)
        // A percent-encoded name is the name.
        #expect(answer(.POST, "/api/sources/tty%41CM0/reopen") == .reopen)
    }
}
