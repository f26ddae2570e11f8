import SensorBridgeCore

/// Home Assistant's MQTT discovery: one retained config per channel under
/// `<prefix>/sensor/<node>/<channel>/config`, so the board shows up as a device with one
/// sensor per channel in a dashboard people already run. Home Assistant reads the newest
/// values from `<base>/state` (a plain object, once a second: it keeps a history of every
/// value and has no use for 50 a second) and the bridge's availability from `<base>/status`.
public struct HomeAssistantDiscovery: Sendable, Equatable {
    public let prefix: String
    public let address: MQTTAddress

    public init(prefix: String, address: MQTTAddress) {
        self.prefix = prefix
        self.address = address
    }

    /// Letters, digits, `_` and `-` only: what Home Assistant takes in an id and a topic level.
    static func identifier(_ text: String) -> String {
        let mapped = text.unicodeScalars.map { scalar -> Character in
            let allowed = (scalar.isASCII && (scalar.properties.isAlphabetic || ("0"..."9").contains(scalar))) || scalar == "-"
            return allowed ? Character(scalar) : "_"
        }
        return String(mapped)
    }

    var node: String { "sensorbridge_" + Self.identifier(address.base) }

    public func configTopic(channel: String) -> String {
        "\(prefix)/sensor/\(node)/\(Self.identifier(channel))/config"
    }

    /// The config of one channel's sensor.
    public func config(channel: String, sourceName: String) -> [UInt8] {
        var out: [UInt8] = Array(#"{"name":"#.utf8)
        JSONText.appendString(channel, to: &out)
        out.append(contentsOf: #","unique_id":"#.utf8)
        JSONText.appendString(node + "_" + Self.identifier(channel), to: &out)
        out.append(contentsOf: #","state_topic":"#.utf8)
        JSONText.appendString(address.stateTopic, to: &out)
        out.append(contentsOf: #","value_template":"#.utf8)
        let key = channel.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "'", with: "\\'")
        JSONText.appendString("{{ value_json['\(key)'] }}", to: &out)
        out.append(contentsOf: #","availability_topic":"#.utf8)
        JSONText.appendString(address.statusTopic, to: &out)
        out.append(contentsOf: #","availability_template":"#.utf8)
        JSONText.appendString("{{ 'online' if value_json.state == 'connected' and value_json.bridge == 'online' else 'offline' }}", to: &out)
        out.append(contentsOf: #","state_class":"measurement","device":{"identifiers":["#.utf8)
        JSONText.appendString(node, to: &out)
        out.append(contentsOf: #"],"name":"#.utf8)
        JSONText.appendString("sensorbridge \(address.base)", to: &out)
        out.append(contentsOf: #","manufacturer":"sensorbridge","model":"#.utf8)
        JSONText.appendString(sourceName.isEmpty ? "serial sensor" : sourceName, to: &out)
        out.append(contentsOf: "}}".utf8)
        return out
    }

    /// `<base>/state`: the newest value of each channel by name (`null` where it had none).
    public static func state(_ sample: Sample) -> [UInt8] {
        var out: [UInt8] = [UInt8(ascii: "{")]
        for (index, name) in sample.layout.names.enumerated() {
            if index > 0 { out.append(UInt8(ascii: ",")) }
            JSONText.appendString(name, to: &out)
            out.append(UInt8(ascii: ":"))
            let value = index < sample.values.count ? sample.values[index] : .nan
            if value.isFinite { JSONText.appendNumber(value, to: &out) } else { out.append(contentsOf: "null".utf8) }
        }
        out.append(UInt8(ascii: "}"))
        return out
    }
}
