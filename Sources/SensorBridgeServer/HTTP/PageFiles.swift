import Foundation
import NIOCore

/// The files of the graph page: the copy compiled into the binary, or a folder on disk
/// (`--web DIR`) for someone working on the page, read anew on every request.
public struct PageFiles: Sendable {
    public struct File: Sendable {
        public let body: ByteBuffer
        public let contentType: String
    }

    private enum Storage: Sendable {
        case embedded([String: File])
        case directory(String)
    }

    private let storage: Storage
    /// The policy the files are served with.
    public let policy: PagePolicy

    /// Whether the files come from a folder (`--web`) rather than the binary.
    public var isFolder: Bool {
        if case .directory = storage { return true }
        return false
    }

    /// The built-in page: always the strict policy.
    /// - Parameter files: request path (`/`, `/graph.js`, ...) → bytes and content type.
    public static func embedded(_ files: [String: (bytes: [UInt8], contentType: String)]) -> PageFiles {
        PageFiles(storage: .embedded(files.mapValues { File(body: ByteBuffer(bytes: $0.bytes), contentType: $0.contentType) }),
                  policy: .strict)
    }

    public static func directory(_ path: String, policy: PagePolicy = .relaxed) -> PageFiles {
        PageFiles(storage: .directory(path), policy: policy)
    }

    public func file(for path: String) -> File? {
        switch storage {
        case .embedded(let files):
            return files[path]
        case .directory(let root):
            let name = path == "/" ? "index.html" : String(path.dropFirst())
            // Only plain file names below the folder: no `..`, no hidden files.
            guard !name.isEmpty, !name.hasPrefix("."), !name.contains(".."),
                  name.allSatisfy({ $0.isLetter || $0.isNumber || "._-/".contains($0) }),
                  Self.isRegularFile(root + "/" + name, inside: root),
                  let data = FileManager.default.contents(atPath: root + "/" + name)
            else { return nil }
            return File(body: ByteBuffer(bytes: data), contentType: Self.contentType(forName: name))
        }
    }

    /// Where `path` really is (after every symbolic link) must be a regular file inside the
    /// real `root`: a link in the folder must not serve a file from elsewhere.
    static func isRegularFile(_ path: String, inside root: String) -> Bool {
        guard let realRoot = realpath(root, nil) else { return false }
        defer { free(realRoot) }
        guard let realFile = realpath(path, nil) else { return false }
        defer { free(realFile) }
        let rootText = String(cString: realRoot), fileText = String(cString: realFile)
        guard fileText.hasPrefix(rootText.hasSuffix("/") ? rootText : rootText + "/") else { return false }
        var info = stat()
        return stat(realFile, &info) == 0 && (info.st_mode & S_IFMT) == S_IFREG
    }

    static func contentType(forName name: String) -> String {
        switch name.split(separator: ".").last.map(String.init) ?? "" {
        case "html": return "text/html; charset=utf-8"
        case "js": return "text/javascript; charset=utf-8"
        case "css": return "text/css; charset=utf-8"
        case "svg": return "image/svg+xml"
        case "png": return "image/png"
        case "ico": return "image/x-icon"
        case "json": return "application/json"
        default: return "application/octet-stream"
        }
    }
}
