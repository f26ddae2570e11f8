#if canImport(Glibc)
import Glibc
#endif
import SensorBridgeCore

/// A log on disk to replay, read a block at a time through `ReplayReader`: memory stays flat
/// whatever the file's size. Only a regular file can be replayed (and looped: it is read
/// again from the start), and what else the path is gets said plainly.
public struct ReplayFile: Sendable {
    public let path: String
    public let rawLineRate: Double
    private static let blockSize = 64 * 1024

    /// - Parameter rawLineRate: lines per second for a capture without time stamps.
    public init(path: String, rawLineRate: Double) {
        self.path = path
        self.rawLineRate = rawLineRate
    }

    /// Says what is wrong with `path`, or nothing when it is a readable regular file.
    public static func checkIsReadableFile(_ path: String) throws {
        var info = stat()
        guard stat(path, &info) == 0 else {
            let reason = errno == ENOENT ? "no such file" : String(cString: strerror(errno))
            throw SourceError("cannot read \(path): \(reason)")
        }
        switch info.st_mode & S_IFMT {
        case S_IFREG:
            guard access(path, R_OK) == 0 else { throw SourceError("cannot read \(path): permission denied") }
        case S_IFDIR:
            throw SourceError("cannot replay \(path): it is a directory; give one of the recordings in it")
        case S_IFIFO:
            throw SourceError("cannot replay \(path): it is a FIFO (named pipe); a replay reads a file, from the start on every --loop. Record to a file first")
        case S_IFCHR, S_IFBLK:
            throw SourceError("cannot replay \(path): it is a device, not a recording; to read a serial device, give it without --replay: sensorbridge \(path)")
        case S_IFSOCK:
            throw SourceError("cannot replay \(path): it is a socket, not a recording")
        default:
            throw SourceError("cannot replay \(path): not a regular file")
        }
    }

    /// Reads the file until its first usable line: which kind it is. Throws when it has none.
    public func firstUsableLine() throws -> ReplayReader.Kind {
        var skipped = 0
        var found = false
        let kind = try stream(until: { found }) { event in
            switch event {
            case .chunk: found = true
            case .skipped: skipped += 1
            }
        }
        guard found, let kind else {
            let why = skipped > 0 ? "all of its \(skipped) lines are unreadable" : "it is empty"
            throw SourceError("nothing to replay in \(path): \(why)")
        }
        return kind
    }

    /// Feeds the file through a fresh reader, handing on each event, until the end or `stop`.
    @discardableResult
    public func stream(until stop: () -> Bool, onEvent: (ReplayReader.Event) -> Void) throws -> ReplayReader.Kind? {
        try stream(until: stop, onLine: { onEvent(ReplayReader.chunk($0, $1)) }, onEvent: onEvent)
    }

    /// The same, with each line handed to `onLine` (its offset and its bytes without the final
    /// `\n`, where they lie in the block read: no copy) and `afterBlock` called once a block's
    /// lines are handed on, before the next read overwrites them.
    @discardableResult
    public func stream(until stop: () -> Bool, onLine: (Int64, ArraySlice<UInt8>) -> Void,
                       afterBlock: () -> Void = {}, onEvent: (ReplayReader.Event) -> Void) throws -> ReplayReader.Kind? {
        try Self.checkIsReadableFile(path)
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw SourceError("cannot read \(path): \(String(cString: strerror(errno)))") }
        defer { close(descriptor) }
        var reader = ReplayReader(rawLineRate: rawLineRate)
        var block = [UInt8](repeating: 0, count: Self.blockSize)
        while !stop() {
            let count = block.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                throw SourceError("reading \(path) failed: \(String(cString: strerror(errno)))")
            }
            if count == 0 {
                reader.finish(entry: onLine, emit: onEvent)
                afterBlock()
                break
            }
            reader.feed(block[0..<count], entry: onLine, emit: onEvent)
            afterBlock()
        }
        return reader.kind
    }
}
