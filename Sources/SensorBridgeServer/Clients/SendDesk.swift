import SensorBridgeCore
import SensorBridgeStream

/// Where one batched client's `send` messages are taken: each is passed to the board
/// (through `GraphClients.sender`) or refused, and answered to this client alone, `sent` or
/// `send-refused` with the reason. Other messages are ignored, so that newer pages can talk
/// to older bridges.
struct SendDesk {
    let clients: GraphClients
    let record: ClientRecord
    /// Why this client may not send lines to the board (its Origin), or nil when it may.
    let originRefusal: String?
    let log: ThrottledLog

    /// The answer to a text message, or nil when it gets none.
    func answer(_ text: [UInt8]) -> [UInt8]? {
        let request: SendRequest
        switch SendRequest.parse(text) {
        case .failure(.notAMessage), .failure(.unknownType):
            return nil
        case .failure(.invalid(let reason)):
            return BatchMessages.sendResult(line: "", refusal: reason)
        case .success(let parsed):
            request = parsed
        }
        var refusal = originRefusal
        if refusal == nil, clients.sender == nil {
            let kind = clients.stream.sourceStatus.kind
            refusal = kind.boardIsElsewhere ? kind.sendRefusal : "sending to the board is off; start the bridge with --allow-send"
        }
        if refusal == nil, let sender = clients.sender {
            do {
                try sender.send(request.line, ending: request.ending, from: "client \(record.id) (\(record.remoteAddress))")
            } catch {
                refusal = "\(error)"
            }
        } else if let refusal {
            log.notice("client \(record.id) may not send: \(refusal)")
        }
        return BatchMessages.sendResult(line: Self.echoed(request.line), refusal: refusal)
    }

    /// The line quoted back in an answer: what a person would recognise, not all 16 KiB.
    private static func echoed(_ line: String) -> String { line.shortened(toUTF8Bytes: SendGate.maxLineBytes) }
}
