import Foundation

/// The store's file on disk, before SQLite opens it: where it lives by default, whether it
/// is ours (a file that is not a sensorbridge store is refused and never changed), and the
/// lock that keeps a second bridge from writing it.
public enum StoreFile {
    /// `PRAGMA application_id` of every sensorbridge store ("SBst").
    public static let applicationID: Int32 = 0x5342_7374
    /// The schema this build writes; a store of a newer one is refused, an older one is
    /// brought up to date when first opened to write (and when opened to read, if older than
    /// `oldestReadAsItIs`) (schema 2: ms times, 250 ms cells, cells coded
    /// from their start; schema 3: blocks of version 3, which a bridge of schema 2 cannot
    /// read, so it refuses the file rather than failing at every query).
    public static let schemaVersion: Int32 = 3
    /// The oldest schema this build reads as it is: a reader (`--archive`, `export`) leaves
    /// such a store unchanged, and only a writer marks it as its own.
    public static let oldestReadAsItIs: Int32 = 2

    /// `$XDG_STATE_HOME/sensorbridge/NAME.sqlite` (`~/.local/state/...` without it; under
    /// systemd, `$STATE_DIRECTORY`), named after the source so two bridges never share one.
    public static func defaultPath(sourceName: String, environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        let base: String
        if let state = environment["STATE_DIRECTORY"], !state.isEmpty {
            base = String(state.split(separator: ":").first ?? Substring(state))
        } else if let xdg = environment["XDG_STATE_HOME"], xdg.hasPrefix("/") {
            base = xdg + "/sensorbridge"
        } else {
            base = (environment["HOME"] ?? NSHomeDirectory()) + "/.local/state/sensorbridge"
        }
        return base + "/" + fileName(for: sourceName) + ".sqlite"
    }

    /// A file name made of a source's name: `/dev/serial/by-id/usb-Arduino…-if00` →
    /// `usb-Arduino…-if00`, `/dev/ttyACM0` → `ttyACM0`, `mqtt://broker/lab/bench1` → `mqtt-broker-lab-bench1`.
    public static func fileName(for sourceName: String) -> String {
        var name = sourceName
        if name.hasPrefix("/dev/") { name = String(name.split(separator: "/").last ?? "") }
        let cleaned = name.unicodeScalars.map { scalar -> Character in
            let c = Character(scalar)
            return c.isASCII && (c.isLetter || c.isNumber || c == "-" || c == "_" || c == ".") ? c : "-"
        }
        var result = String(cleaned)
        while result.contains("--") { result = result.replacingOccurrences(of: "--", with: "-") }
        result = String(result.drop { $0 == "-" || $0 == "." })
        while result.hasSuffix("-") { result.removeLast() }
        if result.isEmpty { result = "source" }
        return String(result.prefix(120))
    }

    /// Why `path` may not be opened as a store, or nil when it may (missing or empty: a
    /// new store; ours, of this schema or an older one). Reads the 100-byte SQLite header
    /// only: nothing is written to a file that is not ours.
    public static func refusal(path: String) -> String? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        if info.st_mode & S_IFMT == S_IFDIR { return "\(path) is a directory, not a store file" }
        guard info.st_mode & S_IFMT == S_IFREG else { return "\(path) is not a regular file" }
        guard info.st_size > 0 else { return nil }
        guard let handle = FileHandle(forReadingAtPath: path) else { return "cannot read \(path): \(String(cString: strerror(errno)))" }
        defer { try? handle.close() }
        let header = [UInt8](handle.readData(ofLength: 100))
        let magic = Array("SQLite format 3\0".utf8)
        guard header.count == 100, Array(header[0..<16]) == magic else {
            return "\(path) is not a sensorbridge store (it is not an SQLite database); it was left as it is. Give another file with --store, or --no-store"
        }
        func int32(at offset: Int) -> Int32 {
            Int32(bitPattern: UInt32(header[offset]) << 24 | UInt32(header[offset + 1]) << 16 | UInt32(header[offset + 2]) << 8 | UInt32(header[offset + 3]))
        }
        guard int32(at: 68) == applicationID else {
            return "\(path) is another program's SQLite database, not a sensorbridge store; it was left as it is. Give another file with --store, or --no-store"
        }
        let version = int32(at: 60)
        guard version <= schemaVersion else {
            return "\(path) was written by a newer sensorbridge (store schema \(version); this one knows \(schemaVersion)); it was left as it is. Use the newer sensorbridge, or give another file with --store"
        }
        return nil
    }

    /// The schema number in the file's header; nil when it has none (missing, empty, not
    /// SQLite).
    public static func storedSchemaVersion(path: String) -> Int32? {
        guard let handle = FileHandle(forReadingAtPath: path) else { return nil }
        defer { try? handle.close() }
        let header = [UInt8](handle.readData(ofLength: 100))
        guard header.count == 100 else { return nil }
        return Int32(bitPattern: UInt32(header[60]) << 24 | UInt32(header[61]) << 16 | UInt32(header[62]) << 8 | UInt32(header[63]))
    }

    /// An exclusive lock on the store for this process's life (released when it exits,
    /// even by SIGKILL): a second bridge given the same file is refused.
    public final class Lock: Sendable {
        private let descriptor: Int32

        public init(path: String) throws(StoreError) {
            let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
            guard fd >= 0 else {
                throw StoreError("cannot open the store \(path): \(String(cString: strerror(errno)))")
            }
            guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
                let busy = errno == EWOULDBLOCK
                close(fd)
                throw StoreError(busy
                    ? "the store \(path) is in use by another sensorbridge; give each bridge its own file with --store (or --no-store)"
                    : "cannot lock the store \(path): \(String(cString: strerror(errno)))")
            }
            descriptor = fd
        }

        deinit { close(descriptor) }
    }
}

/// A sentence for the user about the store.
public struct StoreError: Error, CustomStringConvertible, Equatable {
    public let description: String
    public init(_ description: String) { self.description = description }
}
