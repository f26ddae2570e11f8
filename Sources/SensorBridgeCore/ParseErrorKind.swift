/// Why a line was skipped. Counted per kind so `/api/status` can tell "wrong baud rate"
/// (invalid UTF-8, garbage) from "the sketch prints a banner" (not a number).
public enum ParseErrorKind: String, CaseIterable, Sendable, Codable, Error {
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
    /// Numbers of a shape (count) the lines around them did not confirm: a half line or noise.
    case layoutMismatch
    /// More than `LineParser.maxChannels` values or labels.
    case tooManyChannels
}
