// What a relay reads from a broker (`--source mqtt://…`): anyone who may publish on the
// topic can send anything. Payloads → `MQTTMessages.decode` → one `EdgeFollower` that takes
// them in order, as `MQTTRelay` does, so sequences of messages are explored.
//
// Input: payloads separated by `\n` (JSON never needs a raw newline), no control bytes. Each
// arrives 20 ms after the one before; an empty line is 11 s of silence, then `expire`.
// Only `decode`, `EdgeFollower.take` and `expire` are used (their internals are free to change).
//
// Checked: nothing traps; every sample the follower publishes has one value per channel
// name; a reported gap is of at least one sample; lines lost on the wire (a samples message's
// `lost`) are only what one jump of a line counter can say, only before a message's first
// row, and their sum, as a relay's stream counts it, saturates instead of trapping.
import FuzzSupport
import SensorBridgeCore
import SensorBridgeMQTT

@_cdecl("LLVMFuzzerTestOneInput")
public func FuzzMQTTPayload(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    let bytes = UnsafeRawBufferPointer(start: start, count: count)
    var follower = EdgeFollower()
    var linesLost: UInt64 = 0
    var now: Int64 = 1_763_683_200_000_000
    for payload in bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false) {
        let payload = Array(payload)
        now += 20_000
        if payload.isEmpty {
            now += 11_000_000
            check(follower.expire(nowMicros: now), follower, linesLost: &linesLost)
            continue
        }
        let message: MQTTMessages.Received
        do {
            message = try MQTTMessages.decode(payload)
        } catch {
            Fuzz.check(!error.description.isEmpty, "a refusal without a reason")
            continue
        }
        if case .samples(_, let rows, _) = message {
            Fuzz.check(rows.dropFirst().allSatisfy { $0.linesLostBefore == 0 }, "lines lost before a row after a message's first")
        }
        check(follower.take(message, nowMicros: now), follower, linesLost: &linesLost)
    }
    return 0
}

private func check(_ actions: [EdgeFollower.Action], _ follower: EdgeFollower, linesLost: inout UInt64) {
    for action in actions {
        switch action {
        case .publish(let samples):
            for sample in samples {
                Fuzz.check(sample.values.count == sample.layout.names.count,
                           "\(sample.values.count) values published under \(sample.layout.names.count) names")
                Fuzz.check(sample.linesLostBefore <= LineCounterColumn.largestLoss,
                           "\(sample.linesLostBefore) lines lost before one sample: more than a line counter says")
                linesLost = linesLost.addingSaturating(sample.linesLostBefore)
            }
            Fuzz.check(follower.expected != nil, "samples published with no next number expected")
        case .missed(let missed, _):
            Fuzz.check(missed > 0, "a gap of no samples")
        default:
            break
        }
    }
}
