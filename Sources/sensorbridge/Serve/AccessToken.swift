import Foundation

/// The token that `--token` and `--require-token` make the bridge ask for. It travels in
/// URLs (browsers cannot put headers on a WebSocket), so it holds only characters a URL
/// carries as they are.
enum AccessToken {
    /// About 256 random bits, in letters and digits.
    static func generate() -> String {
        var generator = SystemRandomNumberGenerator()
        return (0..<4).map { _ in String(generator.next() as UInt64, radix: 36) }.joined()
    }

    /// Reads the token from `path`, or from standard input for `-`.
    static func read(from path: String) throws -> String {
        let text: String
        if path == "-" {
            text = readLine(strippingNewline: true) ?? ""
        } else {
            guard let data = FileManager.default.contents(atPath: path) else {
                throw CommandError("cannot read the token file \(path): no such file, or not readable")
            }
            text = String(decoding: data, as: UTF8.self)
        }
        let value = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !value.isEmpty else { throw CommandError("the token \(path == "-" ? "on standard input" : "in \(path)") is empty") }
        let allowed = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~")
        guard value.allSatisfy(allowed.contains) else {
            throw CommandError("the token may hold only letters, digits and - . _ ~ (it goes into URLs)")
        }
        return value
    }
}
