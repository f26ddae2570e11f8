import ArgumentParser
import SensorBridgeStream

/// The sources named on the command line, `[NAME=]LOCATION` each (`bench=/dev/ttyACM0`,
/// `tcp://esp32.local:23`): named by the user, or after their device or address, and never
/// two with one name or one location, since a client asks for a source by its name.
enum SourceList {
    struct Entry: Equatable {
        var name: String
        var location: String
    }

    /// What a location is: a board on the network by its scheme, else a serial device.
    static func kind(of location: String) -> SourceKind {
        let scheme = location.prefix(4).lowercased()
        if scheme == "tcp:" { return .tcp }
        if scheme == "udp:" { return .udp }
        return .serial
    }

    static func parse(_ arguments: [String]) throws -> [Entry] {
        var entries: [Entry] = []
        for argument in arguments {
            var entry = Entry(name: "", location: argument)
            if let equals = argument.firstIndex(of: "="), !argument[..<equals].contains("/"), !argument[..<equals].contains(":") {
                entry.name = String(argument[..<equals])
                entry.location = String(argument[argument.index(after: equals)...])
                if let problem = nameProblem(entry.name) { throw ValidationError("\(argument.shortened(toUTF8Bytes: 200)): \(problem)") }
                guard !entry.location.isEmpty else { throw ValidationError("\(argument.shortened(toUTF8Bytes: 200)): give a device or address after the =") }
            } else {
                entry.name = SourceName.derived(kind: kind(of: argument), location: argument)
            }
            if entries.contains(where: { $0.location == entry.location }) {
                throw ValidationError("\(entry.location.shortened(toUTF8Bytes: 200)) is given twice: give each source once")
            }
            if let other = entries.first(where: { $0.name == entry.name }) {
                throw ValidationError("two sources are named \(entry.name) (\(other.location.shortened(toUTF8Bytes: 200)) and \(entry.location.shortened(toUTF8Bytes: 200))): name them, e.g. left=\(other.location.shortened(toUTF8Bytes: 200)) right=\(entry.location.shortened(toUTF8Bytes: 200))")
            }
            entries.append(entry)
        }
        return entries
    }

    /// Names go into addresses and file names: 1–64 letters, digits, `.`, `_` or `-`.
    static func nameProblem(_ name: String) -> String? {
        let allowed = name.unicodeScalars.allSatisfy {
            ("a"..."z").contains($0) || ("A"..."Z").contains($0) || ("0"..."9").contains($0) || "._-".unicodeScalars.contains($0)
        }
        guard !name.isEmpty, name.utf8.count <= 64, allowed, name != ".", name != ".." else {
            return "a source's name is 1 to 64 letters, digits, '.', '_' or '-'"
        }
        return nil
    }
}
