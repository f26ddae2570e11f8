import NIOCore
import NIOWebSocket

/// How to answer a client's close frame (RFC 6455 §5.5.1, §7.4): echo its status code, or,
/// when the frame itself breaks the rules, fail the connection with the code that says why.
enum CloseFrameReply: Equatable {
    /// Complete the closing handshake; nil means the client sent no code, so neither do we.
    case echo(code: UInt16?)
    /// The close frame was malformed: answer with this code instead.
    case fail(WebSocketErrorCode)

    init(payload: ByteBuffer) {
        var payload = payload
        guard payload.readableBytes > 0 else {
            self = .echo(code: nil)
            return
        }
        guard let code = payload.readInteger(as: UInt16.self) else {
            self = .fail(.protocolError)  // one byte: not even a whole code
            return
        }
        guard Self.isValidReceived(code: code) else {
            self = .fail(.protocolError)
            return
        }
        guard String(validating: payload.readableBytesView, as: UTF8.self) != nil else {
            self = .fail(.dataInconsistentWithMessage)  // the reason must be UTF-8
            return
        }
        self = .echo(code: code)
    }

    /// Codes a peer may send: the registered ones (1004–1006 and 1015 are reserved for
    /// reporting, never for the wire) and the ranges for libraries (3000–3999) and applications (4000–4999).
    static func isValidReceived(code: UInt16) -> Bool {
        switch code {
        case 1000...1003, 1007...1014, 3000...4999: return true
        default: return false
        }
    }

    /// The payload of the answering close frame.
    func replyPayload(allocator: ByteBufferAllocator) -> ByteBuffer {
        var buffer = allocator.buffer(capacity: 2)
        switch self {
        case .echo(let code?): buffer.writeInteger(code)
        case .echo(nil): break
        case .fail(let code): buffer.write(webSocketErrorCode: code)
        }
        return buffer
    }
}
