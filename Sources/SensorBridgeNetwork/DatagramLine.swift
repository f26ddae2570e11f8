/// A datagram's end ends its line: a sender that leaves out the newline (a sketch that calls
/// `udp.print` rather than `println`) still makes lines, and the tail of one datagram can
/// never join the head of the next, which may come from another board, or arrive out of
/// order, or after a lost one.
enum DatagramLine {
    /// Whether a `\n` must follow `datagram` before it is ingested. An empty datagram makes
    /// no line at all.
    static func needsLineEnd(_ datagram: ArraySlice<UInt8>) -> Bool {
        guard let last = datagram.last else { return false }
        return last != UInt8(ascii: "\n")
    }
}
