import SensorBridgeCore

/// The body of `/api/history` (docs/protocol.md): a few names, then columns of thousands of
/// numbers, which are written straight into one buffer sized for the most they can take
/// (`NumberWriter.maxBytes` a number), not appended one by one.
enum HistoryAnswerJSON {
    static func encode(source: String, from: Int64, to: Int64, history: HistoryStore.History) -> [UInt8] {
        var head = Array("{\"source\":".utf8)
        JSONText.appendString(source, to: &head)
        head += Array(",\"from\":".utf8)
        JSONText.appendMilliseconds(fromMicros: from, to: &head)
        head += Array(",\"to\":".utf8)
        JSONText.appendMilliseconds(fromMicros: to, to: &head)
        head += Array(",\"exact\":\(history.exact),\"channels\":".utf8)
        JSONText.appendStringArray(history.channels, to: &head)

        var tail = Array(",\"events\":[".utf8)
        for (i, e) in history.events.enumerated() {
            if i > 0 { tail.append(UInt8(ascii: ",")) }
            tail += Array("{\"t\":".utf8)
            JSONText.appendMilliseconds(fromMicros: e.time, to: &tail)
            tail += Array(",\"state\":".utf8)
            JSONText.appendString(e.state, to: &tail)
            tail += Array(",\"detail\":".utf8)
            JSONText.appendString(e.detail, to: &tail)
            tail.append(UInt8(ascii: "}"))
        }
        tail += Array("]}".utf8)

        let columns = history.columns
        let channels = columns.min.count
        let numbers = columns.t0.count + columns.t1.count + columns.n.count
            + [columns.min, columns.max, columns.mean].reduce(0) { $0 + $1.reduce(0) { $0 + $1.count } }
        // A number and its comma each; names and brackets: 16 a column, 16 a matrix.
        let middle = numbers * (NumberWriter.maxBytes + 1) + (3 + 3 * channels) * 16 + 3 * 16
        return [UInt8](unsafeUninitializedCapacity: head.count + middle + tail.count) { buffer, written in
            let start = buffer.baseAddress!
            var cursor = start
            func raw(_ bytes: [UInt8]) {
                bytes.withUnsafeBufferPointer { cursor.update(from: $0.baseAddress!, count: $0.count) }
                cursor += bytes.count
            }
            func raw(_ text: StaticString) {
                cursor.update(from: text.utf8Start, count: text.utf8CodeUnitCount)
                cursor += text.utf8CodeUnitCount
            }
            func list<T>(_ values: [T], _ write: (T, UnsafeMutablePointer<UInt8>) -> UnsafeMutablePointer<UInt8>) {
                cursor[0] = UInt8(ascii: "[")
                cursor += 1
                for value in values {
                    cursor = write(value, cursor)
                    cursor[0] = UInt8(ascii: ",")
                    cursor += 1
                }
                if !values.isEmpty { cursor -= 1 }  // the last comma
                cursor[0] = UInt8(ascii: "]")
                cursor += 1
            }
            func matrix(_ name: StaticString, _ values: [[Double]]) {
                raw(name)
                cursor[0] = UInt8(ascii: "[")
                cursor += 1
                for (c, column) in values.enumerated() {
                    if c > 0 {
                        cursor[0] = UInt8(ascii: ",")
                        cursor += 1
                    }
                    list(column) { NumberWriter.write($0, to: $1) }
                }
                cursor[0] = UInt8(ascii: "]")
                cursor += 1
            }
            raw(head)
            raw(",\"t0\":")
            list(columns.t0) { NumberWriter.writeMilliseconds(fromMicros: $0, to: $1) }
            raw(",\"t1\":")
            list(columns.t1) { NumberWriter.writeMilliseconds(fromMicros: $0, to: $1) }
            raw(",\"n\":")
            list(columns.n) { NumberWriter.write($0, to: $1) }
            matrix(",\"min\":", columns.min)
            matrix(",\"max\":", columns.max)
            matrix(",\"mean\":", columns.mean)
            raw(tail)
            written = cursor - start
        }
    }
}
