// The smaller readers of outside input, one per value of the first byte (mod 7):
//   0  MQTTAddress(parsing:)                    (`--mqtt` / `--source` URLs)
//   1  AccessPolicy: normalizedOrigin, isLoopbackName, decide, sendRefusal
//      (Host, Origin, Authorization and query as a client sends them; the lists as --allow-* give them)
//   2  LineMonitor: lines recorded and read back with `entries(after:)` any number (`/api/lines?after=`)
//   3  JSONText strings and times: what the stream and the MQTT messages quote from outside
//   4  HomeAssistantDiscovery: a channel name (from a sketch's header) in topics and configs
//   5  SubprotocolChoice and SendGate: a client's Sec-WebSocket-Protocol and the lines it sends
//   6  JSONReader (what MQTTMessages.decode reads with) against Foundation's JSONSerialization
// Input: [0] which, then fields separated by `\n` (or, for 2, a little program).
import Foundation
import FuzzSupport
import SensorBridgeCore
import SensorBridgeMQTT
import SensorBridgeServer
import SensorBridgeStream

private func text(_ bytes: ArraySlice<UInt8>) -> String { String(decoding: bytes, as: UTF8.self) }

private func fields(_ body: ArraySlice<UInt8>, _ count: Int) -> [String] {
    var parts = body.split(separator: UInt8(ascii: "\n"), maxSplits: count - 1, omittingEmptySubsequences: false).map(text)
    while parts.count < count { parts.append("") }
    return parts
}

private func jsonString(_ string: String) -> String? {
    var out: [UInt8] = []
    JSONText.appendString(string, to: &out)
    return (try? JSONSerialization.jsonObject(with: Data(out), options: [.fragmentsAllowed])) as? String
}

// MARK: - 0 MQTTAddress

private func mqttAddress(_ body: ArraySlice<UInt8>) {
    let written = text(body)
    guard let address = try? MQTTAddress(parsing: written) else { return }
    Fuzz.check((1...65535).contains(address.port), "port \(address.port)")
    Fuzz.check(!address.host.isEmpty, "no host")
    Fuzz.check(!address.base.isEmpty && !address.base.hasPrefix("/") && !address.base.hasSuffix("/"), "base '\(address.base)'")
    Fuzz.check(MQTTAddress.topicProblem(address.base) == nil, "a base topic with a problem: \(address.base)")
    for topic in [address.samplesTopic, address.channelsTopic, address.statusTopic, address.stateTopic] {
        Fuzz.check(!topic.contains("+") && !topic.contains("#") && !topic.unicodeScalars.contains { $0.value == 0 }, "topic \(topic)")
    }
    Fuzz.check(address.sameStream(as: address), "an address is not the same stream as itself")
    Fuzz.check(!address.displayed.isEmpty, "nothing to display")
}

// MARK: - 1 AccessPolicy

private func accessPolicy(_ body: ArraySlice<UInt8>) {
    // path, query, host, origin, authorization, allowed origin, allowed host, token, http/1.0?
    let f = fields(body, 9)
    let (path, query, host, origin, authorization, allowedOrigin, allowedHost, token) = (f[0], f[1], f[2], f[3], f[4], f[5], f[6], f[7])
    let http11 = !f[8].hasPrefix("0")

    if let normalized = AccessPolicy.normalizedOrigin(origin) {
        Fuzz.check(AccessPolicy.normalizedOrigin(normalized) == normalized,
                   "normalizedOrigin(\(origin)) = \(normalized), which normalizes to \(String(describing: AccessPolicy.normalizedOrigin(normalized)))")
        Fuzz.check(normalized.hasPrefix("http://") || normalized.hasPrefix("https://"), "origin \(normalized)")
    }
    _ = AccessPolicy.isLoopbackName(host)

    let hosts = host.isEmpty ? [] : host.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
    let request = AccessPolicy.Request(
        path: path, query: query, hostHeaders: hosts, isHTTP11OrLater: http11,
        origin: origin.isEmpty ? nil : origin, authorization: authorization.isEmpty ? nil : authorization)

    // Open: only a malformed Host is refused.
    let open = AccessPolicy.open.decide(request)
    let malformed = hosts.count > 1 || (http11 && (hosts.first?.trimmingCharacters(in: .whitespaces) ?? "").isEmpty)
    Fuzz.check((open == .allow) == !malformed, "the open policy decided \(open) for hosts \(hosts)")

    let policy = AccessPolicy(
        allowedOrigins: allowedOrigin.isEmpty ? [] : [allowedOrigin], allowedHosts: allowedHost.isEmpty ? [] : [allowedHost],
        token: token.isEmpty ? nil : token)
    switch policy.decide(request) {
    case .allow:
        break
    case .refuse(let status, let reason):
        Fuzz.check([400, 401, 403, 421].contains(status), "status \(status)")
        Fuzz.check(!reason.isEmpty, "a refusal without a reason")
        Fuzz.check(status != 401 || policy.token != nil, "401 without a token set")
    }
    Fuzz.check(policy.sendRefusal(origin: nil, host: host) == nil, "a tool without Origin may not send")

    // What is listed is let in.
    let plain = AccessPolicy.Request(path: "/", hostHeaders: ["localhost"])
    if !allowedHost.trimmingCharacters(in: .whitespaces).isEmpty {
        let decision = policy.decide(AccessPolicy.Request(path: "/", hostHeaders: [allowedHost]))
        Fuzz.check(decision == .allow, "--allow-host \(allowedHost) refused as Host: \(decision)")
    }
    if !allowedOrigin.isEmpty {
        var withOrigin = plain
        withOrigin.origin = allowedOrigin
        let decision = policy.decide(withOrigin)
        Fuzz.check(decision == .allow, "--allow-origin \(allowedOrigin) refused as Origin: \(decision)")
        if allowedOrigin != "*" {
            Fuzz.check(policy.sendRefusal(origin: allowedOrigin, host: "localhost") == nil, "--allow-origin \(allowedOrigin) may not send")
        }
    }
    // The right token is taken from Authorization, a wrong one is not (tokens as `--token`
    // takes them: letters, digits and - . _ ~).
    let tokenAlphabet = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~")
    if !token.isEmpty, token.allSatisfy(tokenAlphabet.contains) {
        var bearer = AccessPolicy.Request(path: "/graph", hostHeaders: ["localhost"])
        bearer.authorization = "Bearer " + token
        Fuzz.check(policy.decide(bearer) == .allow, "the right token refused: \(policy.decide(bearer))")
        bearer.authorization = "Bearer " + token + "x"
        Fuzz.check(policy.decide(bearer) != .allow, "a wrong token let in")
    }
}

// MARK: - 2 LineMonitor

private func lineMonitor(_ body: ArraySlice<UInt8>) {
    guard let first = body.first else { return }
    let capacity = Int(first % 16) + 1
    let monitor = LineMonitor(capacity: capacity)
    var recorded: UInt64 = 0
    var rest = body.dropFirst()
    while let op = rest.popFirst() {
        switch op % 4 {
        case 0, 1, 2:
            let length = Int(rest.popFirst() ?? 0) * 2  // up to 510 bytes: past maxLineBytes
            let line = Array(rest.prefix(length))
            rest = rest.dropFirst(length)
            switch op % 4 {
            case 0: monitor.received(line, micros: Int64(recorded))
            case 1: monitor.sent(line, micros: Int64(recorded))
            default: monitor.rejected(line, kind: ParseErrorKind.allCases[Int(op / 4) % ParseErrorKind.allCases.count])
            }
            if op % 4 != 2 { recorded += 1 }
        default:
            var after: UInt64 = 0
            for _ in 0..<8 { after = after << 8 | UInt64(rest.popFirst() ?? 0) }
            if op & 0x80 != 0 { after %= recorded + 2 }  // mostly near what exists
            let entries = monitor.entries(after: after)
            Fuzz.check(entries.count <= capacity, "\(entries.count) entries held by a ring of \(capacity)")
            for (index, entry) in entries.enumerated() {
                Fuzz.check(entry.number > after, "entry \(entry.number) after \(after)")
                if index > 0 { Fuzz.check(entry.number == entries[index - 1].number + 1, "entries not consecutive") }
                Fuzz.check(entry.text.utf8.count <= LineMonitor.maxLineBytes * 4 + 3, "an entry of \(entry.text.utf8.count) bytes")
                Fuzz.check((entry.kind == .rejected) == (entry.reason != nil), "kind \(entry.kind) with reason \(String(describing: entry.reason))")
            }
            if after < recorded {
                Fuzz.check(entries.count == Int(min(recorded - after, UInt64(capacity))), "\(entries.count) entries after \(after) of \(recorded)")
                Fuzz.check(entries.last?.number == recorded, "the newest entry is \(String(describing: entries.last?.number)), not \(recorded)")
            } else {
                Fuzz.check(entries.isEmpty, "entries after the newest")
            }
        }
    }
}

// MARK: - 3 JSONText

private func jsonText(_ body: ArraySlice<UInt8>) {
    let string = text(body)
    Fuzz.check(jsonString(string) == string, "JSONText.appendString(\(string.debugDescription)) does not read back")
    var array: [UInt8] = []
    let strings = string.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
    JSONText.appendStringArray(strings, to: &array)
    let decoded = (try? JSONSerialization.jsonObject(with: Data(array))) as? [String]
    Fuzz.check(decoded == strings, "JSONText.appendStringArray(\(strings)) reads back as \(String(describing: decoded))")

    // Times: a relay serves the edge's sample times as they came (any within ±1e15 ms).
    var micros: Int64 = 0
    for byte in body.prefix(8) { micros = micros << 8 | Int64(byte) }
    micros %= 1_000_000_000_000_000_000
    var out: [UInt8] = []
    JSONText.appendMilliseconds(fromMicros: micros, to: &out)
    let written = text(out[...])
    guard let milliseconds = Double(written) else { return Fuzz.check(false, "time \(micros) µs written as \(written)") }
    let back = milliseconds * 1000
    Fuzz.check(abs(back - Double(micros)) <= max(1, abs(Double(micros)) * 1e-15), "time \(micros) µs written as \(written) ms")
    var number: [UInt8] = []
    let value = Double(bitPattern: UInt64(bitPattern: micros))
    JSONText.appendNumber(value, to: &number)
    let numberText = text(number[...])
    if value.isFinite {
        Fuzz.check(Double(numberText) == value || (value == 0 && Double(numberText) == 0), "\(value) written as \(numberText)")
    } else {
        Fuzz.check(numberText == "null", "\(value) written as \(numberText)")
    }
}

// MARK: - 4 HomeAssistantDiscovery

private func homeAssistant(_ body: ArraySlice<UInt8>) {
    let f = fields(body, 3)
    guard let address = try? MQTTAddress(parsing: f[0].isEmpty ? "mqtt://127.0.0.1/lab/bench1" : f[0]) else { return }
    let discovery = HomeAssistantDiscovery(prefix: "homeassistant", address: address)
    let channel = f[1], source = f[2]
    let topic = discovery.configTopic(channel: channel)
    Fuzz.check(!topic.contains("+") && !topic.contains("#"), "a wildcard in \(topic)")
    Fuzz.check(topic.split(separator: "/", omittingEmptySubsequences: false).count == 5, "the channel adds topic levels: \(topic)")
    let config = discovery.config(channel: channel, sourceName: source)
    let object = (try? JSONSerialization.jsonObject(with: Data(config))) as? [String: Any]
    Fuzz.check(object != nil, "the discovery config is not JSON: \(Fuzz.escaped(config))")
    Fuzz.check(object?["name"] as? String == channel, "the name reads back as \(String(describing: object?["name"]))")
    let layout = ChannelLayout(names: [channel, source], isNamedByDevice: true)
    let state = HomeAssistantDiscovery.state(Sample(timeMicros: 0, values: [1.5, .nan], layout: layout))
    Fuzz.check((try? JSONSerialization.jsonObject(with: Data(state))) != nil, "the state is not JSON: \(Fuzz.escaped(state))")
}

// MARK: - 5 SubprotocolChoice, SendGate

private func subprotocolsAndSending(_ body: ArraySlice<UInt8>) {
    let values = text(body).split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
    let choice = SubprotocolChoice(headerValues: values)
    if let chosen = choice.chosen {
        Fuzz.check(choice.offered.contains(chosen) && SubprotocolChoice.supported.contains(chosen), "chose \(chosen) from \(choice.offered)")
    }
    Fuzz.check(choice.chosen != nil || !choice.offered.contains(where: SubprotocolChoice.supported.contains), "chose none of \(choice.offered)")
    Fuzz.check(choice.refused.allSatisfy { !SubprotocolChoice.supported.contains($0) }, "refused a supported one")
    Fuzz.check(choice.offered.allSatisfy { !$0.isEmpty && $0 == $0.trimmingCharacters(in: .whitespaces) }, "untrimmed offers \(choice.offered)")

    var gate = SendGate(linesPerSecond: 10)
    var now: Int64 = 1_700_000_000_000_000
    for (index, line) in values.enumerated() {
        now += Int64(index % 3) * 40_000
        let refusal = gate.admit(line, nowMicros: now)
        if line.utf8.count > SendGate.maxLineBytes || line.unicodeScalars.contains(where: { ($0.value < 0x20 && $0 != "\t") || $0.value == 0x7F }) {
            Fuzz.check(refusal != nil, "a line that is not one short line of text was admitted: \(line.debugDescription)")
        }
    }
}

// MARK: - 6 JSONReader

/// Nesting depth, whether a string is long (for the limits), and whether a `,` comes right
/// before `]` or `}` (Foundation takes that; RFC 8259 does not), as far as a scan can tell.
private func shape(_ bytes: ArraySlice<UInt8>) -> (depth: Int, longString: Bool, trailingComma: Bool) {
    var depth = 0, deepest = 0, inString = false, escaped = false, length = 0, longString = false
    var lastToken: UInt8 = 0, trailingComma = false
    for byte in bytes {
        if inString {
            length += 1
            if escaped { escaped = false } else if byte == UInt8(ascii: "\\") { escaped = true } else if byte == UInt8(ascii: "\"") {
                inString = false
                if length > 200 { longString = true }
            }
            continue
        }
        switch byte {
        case UInt8(ascii: "\""): inString = true; length = 0
        case UInt8(ascii: "["), UInt8(ascii: "{"): depth += 1; deepest = max(deepest, depth)
        case UInt8(ascii: "]"), UInt8(ascii: "}"):
            depth -= 1
            if lastToken == UInt8(ascii: ",") { trailingComma = true }
        default: break
        }
        if ![0x20, 0x09, 0x0A, 0x0D].contains(byte) { lastToken = byte }
    }
    return (deepest, longString, trailingComma)
}

/// A number past Double's range (`1e999`): valid JSON, which Foundation refuses and the reader
/// skips (it refuses it only where it reads it as a number).
private func hasHugeNumber(_ bytes: [UInt8]) -> Bool {
    let numberBytes = Set("0123456789+-.eE".utf8)
    var token: [UInt8] = []
    for byte in bytes + [0x20] {
        if numberBytes.contains(byte) {
            token.append(byte)
        } else {
            if !token.isEmpty, let value = Double(String(decoding: token, as: UTF8.self)), !value.isFinite { return true }
            token.removeAll()
        }
    }
    return false
}

private func hasSurrogateEscape(_ bytes: [UInt8]) -> Bool {
    bytes.indices.dropLast(2).contains { bytes[$0] == UInt8(ascii: "\\") && bytes[$0 + 1] == UInt8(ascii: "u") && (bytes[$0 + 2] | 0x20) == UInt8(ascii: "d") }
}

private func jsonReader(_ body: ArraySlice<UInt8>) {
    let bytes = Array(body)
    var reader = JSONReader(bytes)
    let accepted: Bool
    do throws(JSONReader.Failure) {
        try reader.skipValue()
        try reader.finish()
        accepted = true
    } catch {
        accepted = false
        Fuzz.check(error.offset >= 0 && error.offset <= bytes.count, "a failure at byte \(error.offset) of \(bytes.count)")
        _ = error.description
    }
    let foundation = try? JSONSerialization.jsonObject(with: Data(bytes), options: [.fragmentsAllowed])
    let (depth, longString, trailingComma) = shape(body)
    // What Foundation refuses, the reader refuses (but a lone surrogate escape, which it reads
    // as U+FFFD by design); where the limits do not apply and Foundation's leniencies (a
    // trailing comma, other encodings) are not used, it takes what Foundation takes.
    if accepted, foundation == nil, !hasSurrogateEscape(bytes), !hasHugeNumber(bytes) {
        Fuzz.check(false, "JSONReader took what Foundation refuses: \(Fuzz.escaped(bytes))")
    }
    // Foundation also guesses UTF-16 and UTF-32 from NUL bytes and byte order marks, and stops at a NUL.
    let otherEncoding = bytes.contains(0) || bytes.starts(with: [0xEF, 0xBB, 0xBF]) || bytes.starts(with: [0xFE, 0xFF])
        || bytes.starts(with: [0xFF, 0xFE])
    if !accepted, foundation != nil, depth < JSONReader.maxDepth, !longString, !trailingComma, !otherEncoding {
        Fuzz.check(false, "JSONReader refused what Foundation takes: \(Fuzz.escaped(bytes))")
    }
    // A string or a number read as the caller reads them (not where Foundation read another
    // encoding: "2\u{0}2\u{0}" is UTF-16 "22" to it).
    if let string = foundation as? String, !longString, !otherEncoding {
        var reader = JSONReader(bytes)
        let read = try? reader.readString(maxBytes: 1 << 20)
        Fuzz.check(read == string, "the string \(string.debugDescription) read as \(String(describing: read?.debugDescription))")
    }
    let first = bytes.first { ![0x20, 0x09, 0x0A, 0x0D].contains($0) }
    if let number = foundation as? NSNumber, !otherEncoding, let first, first == UInt8(ascii: "-") || (0x30...0x39).contains(first) {
        var reader = JSONReader(bytes)
        if let read = try? reader.readDouble() {
            // Foundation rounds long numbers less carefully than Swift's correctly rounded parse.
            let other = number.doubleValue
            Fuzz.check(read == other || abs(read - other) <= abs(other) * 1e-12,
                       "the number \(Fuzz.escaped(bytes)) read as \(read), Foundation \(number.doubleValue)")
        }
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func FuzzMisc(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    let input = FuzzInput(start, count, headerCount: 1)
    switch input.header[0] % 7 {
    case 0: mqttAddress(input.body)
    case 1: accessPolicy(input.body)
    case 2: lineMonitor(input.body)
    case 3: jsonText(input.body)
    case 4: homeAssistant(input.body)
    case 5: subprotocolsAndSending(input.body)
    default: jsonReader(input.body)
    }
    return 0
}
