import Foundation

/// A folder of its own for one test's files (stores, recordings), removed when freed.
public final class TemporaryFolder {
    public let path: String

    public init(_ prefix: String = "sensorbridge") throws {
        path = FileManager.default.temporaryDirectory.appendingPathComponent("\(prefix)-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }

    /// The path of `name` inside the folder.
    public func file(_ name: String) -> String { path + "/" + name }
}
