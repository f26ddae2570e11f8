import Foundation
import SensorBridgeStream

/// A batched-stream client's request to send a line to the board:
/// `{"type":"send","line":"rate 100","ending":"crlf"}` (ending: none, lf, cr, crlf; default lf).
struct SendRequest: Equatable {
    var line: String
    var ending: LineEnding

    private struct Message: Decodable {
        var type: String
        var line: String?
        var ending: String?
    }

    enum Problem: Error, Equatable {
        /// Not JSON, or not an object with a `type`: the text to quote back.
        case notAMessage
        case unknownType(String)
        case invalid(String)
    }

    /// The request in `text`, or what is wrong with it.
    static func parse(_ text: [UInt8]) -> Result<SendRequest, Problem> {
        guard let message = try? JSONDecoder().decode(Message.self, from: Data(text)) else { return .failure(.notAMessage) }
        guard message.type == "send" else { return .failure(.unknownType(message.type)) }
        guard let line = message.line else { return .failure(.invalid("a send message needs a \"line\"")) }
        let endingName = message.ending ?? LineEnding.lf.rawValue
        guard let ending = LineEnding(rawValue: endingName) else {
            return .failure(.invalid("unknown line ending \"\(endingName)\"; use none, lf, cr or crlf"))
        }
        return .success(SendRequest(line: line, ending: ending))
    }
}
