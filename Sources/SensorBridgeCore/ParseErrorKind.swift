/// Why a line was skipped. Counted per kind so `/api/status` can tell "wrong baud rate"
/// (invalid UTF-8, garbage) from "the sketch prints a banner" (not a number).
public enum ParseErrorKind: String, CaseIterable, Sendable, Codable {
    /// Longer than the framer's limit: no line terminator for too long, typically a wrong baud rate.
    case lineTooLong
    /// Contains a NUL byte, typically line noise or a board resetting.
    case nulByte
    /// Not UTF-8 text, typically a wrong baud rate.
    case invalidUTF8
    /// A field that is neither a number nor a channel name, or a line of prose.
    case notANumber
    /// Two separators with nothing between them, or a `name=` without a value.
    case emptyField
    /// A different number of channels (or other names) than the stream has: a half line.
    case layoutMismatch
}
