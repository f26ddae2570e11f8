import Foundation

/// A broker and the base topic under which one board's stream lives, as the user writes it:
/// `mqtt://[user[:password]@]host[:port]/base/topic`, or `mqtts://` for TLS (port 8883).
/// The base is a plain topic: wildcards would make the bridge publish where nobody can
/// subscribe exactly, so they are refused here, with the reason.
public struct MQTTAddress: Sendable, Equatable {
    public var host: String
    public var port: Int
    public var tls: Bool
    public var username: String?
    public var password: String?
    /// The base topic, without leading or trailing `/`: `lab/bench1`.
    public var base: String

    public init(parsing text: String) throws(MQTTAddressError) {
        if text.contains("#") {
            throw MQTTAddressError("\(text): a base topic cannot have the wildcard #; name one topic, e.g. lab/bench1 (write a # in a password as %23)")
        }
        guard let components = URLComponents(string: text), let scheme = components.scheme?.lowercased() else {
            throw MQTTAddressError("\(text) is not an MQTT address; write it as mqtt://host[:port]/base/topic")
        }
        switch scheme {
        case "mqtt", "tcp": tls = false
        case "mqtts", "ssl": tls = true
        default: throw MQTTAddressError("\(text): the scheme must be mqtt:// (or mqtts:// for TLS), not \(scheme)://")
        }
        var host = components.percentEncodedHost ?? ""
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        guard !host.isEmpty else { throw MQTTAddressError("\(text) names no broker host; e.g. mqtt://127.0.0.1/lab/bench1") }
        self.host = host
        self.port = components.port ?? (tls ? 8883 : 1883)
        guard (1...65535).contains(port) else { throw MQTTAddressError("\(text): port \(port) is not 1…65535") }
        username = components.user
        password = components.password
        if components.query != nil || components.fragment != nil {
            throw MQTTAddressError("\(text): an MQTT address takes no ?query or #fragment; put the topic after the host: mqtt://host/lab/bench1")
        }
        let path = components.path
        let base = path.split(separator: "/", omittingEmptySubsequences: false).drop(while: \.isEmpty)
        let trimmed = base.reversed().drop(while: \.isEmpty).reversed().joined(separator: "/")
        guard !trimmed.isEmpty else {
            throw MQTTAddressError("\(text) has no base topic; add one after the host, e.g. mqtt://\(host)/lab/bench1")
        }
        if let problem = Self.topicProblem(trimmed) { throw MQTTAddressError("\(text): \(problem)") }
        self.base = trimmed
    }

    /// Why `topic` cannot be published to, or nil.
    public static func topicProblem(_ topic: String) -> String? {
        if topic.contains("+") || topic.contains("#") {
            return "the base topic \(topic) has a wildcard (+ or #); name one topic, e.g. lab/bench1"
        }
        if topic.unicodeScalars.contains(where: { $0.value == 0 }) { return "the base topic has a NUL character" }
        if topic.utf8.count > 60_000 { return "the base topic is too long" }
        return nil
    }

    /// Where each part of the stream goes (docs/scale-out.md).
    public var samplesTopic: String { base + "/samples" }
    public var channelsTopic: String { base + "/channels" }
    public var statusTopic: String { base + "/status" }
    /// The newest values as one object, for Home Assistant (only with discovery on).
    public var stateTopic: String { base + "/state" }

    /// The address as logs and `/api/status` show it: never with the password.
    public var displayed: String {
        let user = username.map { $0 + "@" } ?? ""
        let shownHost = host.contains(":") ? "[\(host)]" : host
        return "\(tls ? "mqtts" : "mqtt")://\(user)\(shownHost):\(port)/\(base)"
    }

    /// Same broker and the same base topic (a relay must not publish where it reads).
    public func sameStream(as other: MQTTAddress) -> Bool {
        host.lowercased() == other.host.lowercased() && port == other.port && base == other.base
    }
}

public struct MQTTAddressError: Error, CustomStringConvertible, Equatable {
    public let description: String
    public init(_ description: String) { self.description = description }
}
