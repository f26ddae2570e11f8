import SensorBridgeCore

/// The messages a relay holds until the edge confirms them (`EdgeFollower`), indexed so that
/// what the follower asks on every message (is one held at this number? does one continue
/// that one? which ones form chains?) is answered without a scan: a flood of 50 000 messages
/// a second goes through here.
struct HeldMessages: Sendable {
    /// A run (nil: a message that named none) and a sample number in it.
    struct Key: Hashable, Sendable {
        var stream: String?
        var number: UInt64

        init(_ stream: String?, _ number: UInt64) {
            self.stream = stream
            self.number = number
        }
    }

    struct Message: Sendable {
        var first: UInt64
        var rows: [MQTTMessages.Row]
        var stream: String?
        /// When it arrived (steady clock).
        var arrivedMicros: Int64
        /// Times and values, worked out once.
        let firstTime: Int64
        let lastTime: Int64
        let values: Int

        init(first: UInt64, rows: [MQTTMessages.Row], stream: String?, arrivedMicros: Int64) {
            self.first = first
            self.rows = rows
            self.stream = stream
            self.arrivedMicros = arrivedMicros
            firstTime = rows.first?.timeMicros ?? 0
            lastTime = rows.reduce(Int64.min) { max($0, $1.timeMicros) }
            values = rows.reduce(0) { $0 + $1.values.count + 1 }
        }

        var end: UInt64 { first + UInt64(rows.count) }  // checked by the decoder: cannot overflow
        var key: Key { Key(stream, first) }
        var endKey: Key { Key(stream, end) }
    }

    private(set) var byStart: [Key: Message] = [:]
    /// Where each held message ends → where it starts.
    private var byEnd: [Key: Key] = [:]
    /// The starts of held messages that another held message continues.
    private(set) var chained: Set<Key> = []
    /// Messages and values held, by run: what the bounds of a kind are checked against.
    private var perStream: [String?: (count: Int, values: Int)] = [:]

    var count: Int { byStart.count }
    /// Values held in all.
    private(set) var values = 0
    var messages: Dictionary<Key, Message>.Values { byStart.values }

    subscript(_ key: Key) -> Message? { byStart[key] }

    /// The held message that ends where `key` is, if any.
    func ending(at key: Key) -> Message? { byEnd[key].flatMap { byStart[$0] } }

    /// Whether a held message continues from where `message` ends, or `message` from where
    /// a held one ends: it belongs to a chain.
    func isLinked(_ message: Message) -> Bool { byStart[message.endKey] != nil || byEnd[message.key] != nil }

    /// Messages and values held of the runs in `streams`.
    func totals(of streams: [String?]) -> (count: Int, values: Int) {
        streams.reduce((0, 0)) { sum, stream in
            let held = perStream[stream] ?? (0, 0)
            return (sum.0 + held.count, sum.1 + held.values)
        }
    }

    /// Holds `message`; one held with the same start gives way to it (the later one is the
    /// edge's own more likely than what came before it).
    mutating func insert(_ message: Message) {
        remove(message.key)
        let key = message.key
        byStart[key] = message
        byEnd[message.endKey] = key
        if byStart[message.endKey] != nil { chained.insert(key) }
        if let previous = byEnd[key] { chained.insert(previous) }
        perStream[message.stream, default: (0, 0)].count += 1
        perStream[message.stream, default: (0, 0)].values += message.values
        values += message.values
    }

    @discardableResult
    mutating func remove(_ key: Key) -> Message? {
        guard let message = byStart.removeValue(forKey: key) else { return nil }
        if byEnd[message.endKey] == key { byEnd[message.endKey] = nil }
        chained.remove(key)
        if let previous = byEnd[key] { chained.remove(previous) }  // its successor is gone
        perStream[message.stream, default: (0, 0)].count -= 1
        perStream[message.stream, default: (0, 0)].values -= message.values
        if perStream[message.stream]?.count == 0 { perStream[message.stream] = nil }
        values -= message.values
        return message
    }
}
