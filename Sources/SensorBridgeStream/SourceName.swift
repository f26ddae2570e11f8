/// The short name a source goes by in addresses (`/api/sources/NAME/release`,
/// `sensorbridge release NAME`) when it is given none: what is left of its device or file
/// once the folders are gone, in letters, digits, `.`, `_` and `-`.
public enum SourceName {
    /// `/dev/ttyACM0` → `ttyACM0`; `/dev/serial/by-id/usb-Arduino…-if00` → `usb-Arduino…-if00`;
    /// `/dev/pts/3` → `pts3`; a recording `tilt.log` → `tilt`; `mqtt://broker/lab/bench1` → `bench1`.
    /// A board on the network: `tcp://esp32.local:23` → `esp32.local-23`; `udp://:4210` → `udp-4210`.
    public static func derived(kind: SourceKind, location: String) -> String {
        if kind == .tcp || kind == .udp { return networkName(kind: kind, location: location) }
        let parts = location.split(separator: "/", omittingEmptySubsequences: true)
        var name = String(parts.last ?? "")
        if kind == .serial, parts.count >= 2, parts[parts.count - 2] == "pts" { name = "pts" + name }
        if kind == .replay || kind == .archive, let dot = name.lastIndex(of: "."), dot != name.startIndex {
            name = String(name[..<dot])
        }
        return cleaned(name, kind: kind)
    }

    private static func networkName(kind: SourceKind, location: String) -> String {
        var rest = Substring(location)
        if let scheme = rest.range(of: "://") { rest = rest[scheme.upperBound...] }
        var text = rest.filter { $0 != "[" && $0 != "]" && $0 != "*" }
        if text.hasPrefix(":") || text.hasPrefix("0.0.0.0:") {  // every address ([::] too)
            text = kind.rawValue + "-" + (text.split(separator: ":").last.map(String.init) ?? "")
        } else if let colon = text.lastIndex(of: ":") {
            text.replaceSubrange(colon...colon, with: "-")
        }
        return cleaned(text, kind: kind)
    }

    private static func cleaned(_ name: String, kind: SourceKind) -> String {
        let cleaned = String(name.unicodeScalars.map { scalar -> Character in
            scalar.properties.isASCIIHexDigit || ("a"..."z").contains(scalar) || ("A"..."Z").contains(scalar)
                || "._-".unicodeScalars.contains(scalar) ? Character(scalar) : "-"
        })
        return cleaned.isEmpty ? kind.rawValue : String(cleaned.prefix(64))
    }
}
