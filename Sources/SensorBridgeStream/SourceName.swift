/// The short name a source goes by in addresses (`/api/sources/NAME/release`,
/// `sensorbridge release NAME`) when it is given none: what is left of its device or file
/// once the folders are gone, in letters, digits, `.`, `_` and `-`.
public enum SourceName {
    /// `/dev/ttyACM0` → `ttyACM0`; `/dev/serial/by-id/usb-Arduino…-if00` → `usb-Arduino…-if00`;
    /// `/dev/pts/3` → `pts3`; a recording `tilt.log` → `tilt`; `mqtt://broker/lab/bench1` → `bench1`.
    public static func derived(kind: SourceKind, location: String) -> String {
        let parts = location.split(separator: "/", omittingEmptySubsequences: true)
        var name = String(parts.last ?? "")
        if kind == .serial, parts.count >= 2, parts[parts.count - 2] == "pts" { name = "pts" + name }
        if kind == .replay || kind == .archive, let dot = name.lastIndex(of: "."), dot != name.startIndex {
            name = String(name[..<dot])
        }
        let cleaned = String(name.unicodeScalars.map { scalar -> Character in
            scalar.properties.isASCIIHexDigit || ("a"..."z").contains(scalar) || ("A"..."Z").contains(scalar)
                || "._-".unicodeScalars.contains(scalar) ? Character(scalar) : "-"
        })
        return cleaned.isEmpty ? kind.rawValue : String(cleaned.prefix(64))
    }
}
