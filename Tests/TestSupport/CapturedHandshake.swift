import Foundation

/// One captured browser handshake from `Tests/Fixtures/handshakes/`, rewritten for the test
/// server: request line `GET /graph HTTP/1.1`, Host the server's address. Everything else,
/// header order, odd capitalisation and hixie-76's 8 trailing bytes, is sent as captured.
public struct CapturedHandshake {
    public let file: String
    /// The request line and header lines, without line ends.
    public let head: [String]
    /// What follows the blank line: hixie-76's key3, or nothing.
    public let key3: [UInt8]

    public static let folder = BridgeProcess.packageRoot + "/Tests/Fixtures/handshakes"

    public struct Malformed: Error {}

    public init(_ file: String) throws {
        self.file = file
        let bytes = Array(try Data(contentsOf: URL(fileURLWithPath: Self.folder + "/" + file)))
        let separator: [UInt8] = [13, 10, 13, 10]
        guard bytes.count >= 4, let end = (0...(bytes.count - 4)).first(where: { Array(bytes[$0..<($0 + 4)]) == separator }) else {
            throw Malformed()
        }
        head = String(decoding: bytes[..<end], as: UTF8.self).components(separatedBy: "\r\n")
        key3 = Array(bytes[(end + 4)...])
    }

    /// The value of the first header called `name` (any case).
    public func header(_ name: String) -> String? {
        head.dropFirst().first { $0.lowercased().hasPrefix(name.lowercased() + ":") }
            .map { String($0.dropFirst(name.count + 1)).trimmingCharacters(in: .whitespaces) }
    }

    /// The request as sent to a test server on `port`.
    public func request(port: Int) -> [UInt8] {
        var lines = head
        lines[0] = "GET /graph HTTP/1.1"
        lines = lines.map { $0.lowercased().hasPrefix("host:") ? "Host: 127.0.0.1:\(port)" : $0 }
        return Array((lines.joined(separator: "\r\n") + "\r\n\r\n").utf8) + key3
    }
}
