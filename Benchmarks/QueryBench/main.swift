// `/api/history` answered in process (no HTTP) on a store, release-built:
//   swift run -c release sensorbridge-querybench STORE [queries] [range-ms]
// For each range (10 s, 1 min, 10 min, 43 min; or the one given) runs `queries` 2000-bucket
// queries at positions from the store's first sample + 1000 s on (within 500 s, or over the
// whole store with SPREAD=1), and prints the median time and the answer's size. Under `valgrind --tool=callgrind` the difference between two
// query counts gives instructions a query, which a noisy machine cannot blur
// (docs/benchmarks.md). With DUMP=PREFIX each answer is written to PREFIX-RANGE-I, so two
// builds can be compared byte for byte.
import Foundation
import SensorBridgeCore
import SensorBridgeStore

let arguments = CommandLine.arguments
guard arguments.count >= 2 else {
    print("usage: sensorbridge-querybench STORE [queries] [range-ms]")
    exit(2)
}
let store = try HistoryStore(path: arguments[1], readOnly: true)
let service = StoreService(store: store, writer: nil)
// Counts and ranges within sense (a typo must not trap or loop for ever).
let queries = min(1_000_000, max(1, arguments.count > 2 ? Int(arguments[2]) ?? 200 : 200))
let ranges: [Int64] = arguments.count > 3 ? [min(86_400_000 * 366, max(1, Int64(arguments[3]) ?? 60_000))] : [10_000, 60_000, 600_000, 2_600_000]
guard let extent = try store.extent(source: store.resolveSource(nil).id) else {
    print("the store holds no samples")
    exit(1)
}
let start = extent.first / 1000 + 1_000_000  // ms
// SPREAD=1: positions spread over the whole store, as the benchmark's random ones are (pages
// a query needs are then mostly not in SQLite's cache); otherwise within 500 s.
let spread = ProcessInfo.processInfo.environment["SPREAD"] == "1"
let span = max(1, extent.last / 1000 - start - 3_600_000)
let dump = ProcessInfo.processInfo.environment["DUMP"]
for range in ranges {
    var times: [Double] = []
    var bytes = 0
    for i in 0..<queries {
        let from = start + (spread ? Int64(i) * 7_919_993 % span : Int64((i * 7919) % 500_000))
        let began = WallClock.monotonicMicros()
        let reply = service.answer(path: "/api/history", query: ["from": "\(from)", "to": "\(from + range)", "points": "2000"], nowMicros: 0)
        times.append(Double(WallClock.monotonicMicros() - began) / 1000)
        guard case .json(200, let body) = reply else {
            print("query \(i) of \(range) ms failed: \(reply)")
            exit(1)
        }
        bytes = body.count
        if let dump { _ = FileManager.default.createFile(atPath: "\(dump)-\(range)-\(i)", contents: Data(body)) }
    }
    times.sort()
    print("\(range) ms: p50 \(String(format: "%.3f", times[queries / 2])) ms, \(bytes) bytes an answer (\(queries) queries)")
}
