import SensorBridgeCore

/// The body of `/api/history` (docs/protocol.md): a few names, then columns of thousands of
/// numbers, which are written straight into buffers sized for the most they can take
/// (`NumberWriter.maxBytes` a number), not appended one by one; the buckets' two halves on
/// two threads, then joined (printing 24 000 numbers is a third of a minute's query).
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
        // Two threads from a few hundred buckets on (a hand-over costs about 10 µs).
        let parts = (try? TwoHalves.run(columns.t0.count, minimum: 256) { rows in Rows(columns, rows) })
            ?? [Rows(columns, 0..<columns.t0.count)]
        let capacity = parts.reduce(head.count + tail.count + 64 + 16 * channels) { $0 + $1.bytes.count + 3 * $1.ends.count }
        return [UInt8](unsafeUninitializedCapacity: capacity) { buffer, written in
            let start = buffer.baseAddress!
            var cursor = start
            func raw(_ bytes: UnsafeBufferPointer<UInt8>) {
                guard let base = bytes.baseAddress else { return }
                cursor.update(from: base, count: bytes.count)
                cursor += bytes.count
            }
            func raw(_ text: StaticString) { raw(UnsafeBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount)) }
            func byte(_ b: UInt8) {
                cursor[0] = b
                cursor += 1
            }
            /// List `k` (`Rows`' order): each part's numbers, a comma between parts.
            func list(_ k: Int) {
                byte(UInt8(ascii: "["))
                var any = false
                for part in parts {
                    let range = part.list(k)
                    guard !range.isEmpty else { continue }
                    if any { byte(UInt8(ascii: ",")) }
                    part.bytes.withUnsafeBufferPointer { raw(UnsafeBufferPointer(rebasing: $0[range])) }
                    any = true
                }
                byte(UInt8(ascii: "]"))
            }
            head.withUnsafeBufferPointer { raw($0) }
            raw(",\"t0\":")
            list(0)
            raw(",\"t1\":")
            list(1)
            raw(",\"n\":")
            list(2)
            for (m, name) in [",\"min\":[" as StaticString, ",\"max\":[", ",\"mean\":["].enumerated() {
                raw(name)
                for c in 0..<channels {
                    if c > 0 { byte(UInt8(ascii: ",")) }
                    list(3 + m * channels + c)
                }
                byte(UInt8(ascii: "]"))
            }
            tail.withUnsafeBufferPointer { raw($0) }
            precondition(cursor - start <= capacity, "a history answer outgrew its buffer")
            written = cursor - start
        }
    }

    /// The numbers of some buckets (`rows`), list by list, comma-separated: t0, t1, n, then
    /// min, max and mean of each channel; `ends[k]` is where list k ends in `bytes`.
    struct Rows: Sendable {
        var bytes: [UInt8]
        var ends: [Int]

        func list(_ k: Int) -> Range<Int> { (k == 0 ? 0 : ends[k - 1])..<ends[k] }

        init(_ columns: HistoryColumns, _ rows: Range<Int>) {
            let lists = 3 + 3 * columns.min.count
            var ends: [Int] = []
            ends.reserveCapacity(lists)
            // A number and its comma each, at most.
            bytes = [UInt8](unsafeUninitializedCapacity: max(1, rows.count * lists * (NumberWriter.maxBytes + 1))) { buffer, written in
                let start = buffer.baseAddress!
                var cursor = start
                func list<T>(_ values: [T], _ write: (T, UnsafeMutablePointer<UInt8>) -> UnsafeMutablePointer<UInt8>) {
                    for i in rows {
                        if i > rows.lowerBound {
                            cursor[0] = UInt8(ascii: ",")
                            cursor += 1
                        }
                        cursor = write(values[i], cursor)
                    }
                    ends.append(cursor - start)
                }
                list(columns.t0) { NumberWriter.writeMilliseconds(fromMicros: $0, to: $1) }
                list(columns.t1) { NumberWriter.writeMilliseconds(fromMicros: $0, to: $1) }
                list(columns.n) { NumberWriter.write($0, to: $1) }
                for matrix in [columns.min, columns.max, columns.mean] {
                    for column in matrix { list(column) { NumberWriter.write($0, to: $1) } }
                }
                written = cursor - start
            }
            self.ends = ends
        }
    }
}
