import Synchronization

/// Counters of what the input produced, shared between the thread that reads the device
/// and whoever reports on it (`/api/status`, the log).
public final class StreamStatistics: Sendable {
    public struct Snapshot: Sendable, Equatable {
        public var lines: UInt64 = 0
        public var samples: UInt64 = 0
        public var headers: UInt64 = 0
        public var bytes: UInt64 = 0
        public var parseErrors: [ParseErrorKind: UInt64] = [:]
        public var lastErrorLine: String? = nil

        public var parseErrorTotal: UInt64 { parseErrors.values.reduce(0, +) }
    }

    private let counts = Mutex(Snapshot())

    public init() {}

    public var snapshot: Snapshot { counts.withLock { $0 } }

    /// What one read produced, counted without the lock and added in one step, so the
    /// reader takes the lock once per read, not per line.
    public struct Tally: Sendable {
        var bytes: UInt64 = 0
        var lines: UInt64 = 0
        var samples: UInt64 = 0
        var headers: UInt64 = 0
        var parseErrors: [ParseErrorKind: UInt64] = [:]
        var lastRejected: [UInt8]? = nil

        public init() {}

        public mutating func countBytes(_ count: Int) { bytes += UInt64(count) }

        /// One complete line arrived (what it became is counted as the parser decides).
        public mutating func countLine() { lines += 1 }

        /// A line that was a sample, taken without a parser event (the in-place path).
        mutating func countSample() { samples += 1 }

        public mutating func count(_ event: LineParser.Event) {
            switch event {
            case .sample: samples += 1
            case .header: headers += 1
            case .held, .message: break
            case .rejected(let kind, let line):
                parseErrors[kind, default: 0] += 1
                lastRejected = line
            }
        }

        /// Samples that arrived parsed already (a relay's, from a broker), and their bytes.
        public mutating func countRelayed(samples count: Int, bytes payload: Int) {
            samples += UInt64(count)
            bytes += UInt64(payload)
        }

        /// A line over the framer's limit: rejected before the parser sees it.
        public mutating func countOverlongLine() {
            lines += 1
            parseErrors[.lineTooLong, default: 0] += 1
        }
    }

    public func add(_ tally: Tally) {
        let lastErrorLine = tally.lastRejected.map { Self.printable($0) }
        counts.withLock { counts in
            counts.bytes += tally.bytes
            counts.lines += tally.lines
            counts.samples += tally.samples
            counts.headers += tally.headers
            for (kind, count) in tally.parseErrors { counts.parseErrors[kind, default: 0] += count }
            if let lastErrorLine { counts.lastErrorLine = lastErrorLine }
        }
    }

    /// A short, safe rendering of a rejected line for logs and the status page.
    public static func printable(_ line: [UInt8], limit: Int = 80) -> String {
        var text = ""
        for byte in line.prefix(limit) {
            if byte >= 0x20 && byte < 0x7F { text.unicodeScalars.append(UnicodeScalar(byte)) }
            else { text += "\\x" + String(byte, radix: 16).leftPadded(to: 2) }
        }
        if line.count > limit { text += "…" }
        return text
    }
}

extension String {
    fileprivate func leftPadded(to width: Int) -> String {
        String(repeating: "0", count: max(0, width - count)) + self
    }
}
