// The data path's stages, release-built, on a synthetic recording held in memory:
//   swift run -c release sensorbridge-microbench [lines]
// Prints lines per second for each stage added in turn, best of three runs (docs/benchmarks.md).
//   sensorbridge-microbench --once STAGE LINES
// runs one stage once and prints nothing: what scripts/instructions.sh counts under callgrind
// (STAGE: replay, ingest, replay-ingest, batched, per-sample, both).
import Logging
import NIOCore
import SensorBridgeCore
import SensorBridgeServer
import SensorBridgeStream

#if canImport(Glibc)
import Glibc
#endif

let arguments = Array(CommandLine.arguments.dropFirst())
/// `--once STAGE LINES`: one stage, once, silent.
let onceStage: String? = arguments.first == "--once" && arguments.count == 3 ? arguments[1] : nil
let lineCount = (onceStage != nil ? arguments.last : arguments.first).flatMap(Int.init) ?? 2_000_000

/// A recording as `--record` writes it: 3 channels of 10-bit readings, 1 ms apart.
func recording(lines: Int) -> [UInt8] {
    var bytes = Array(RecordingFormat.header(startedMicros: 1_763_683_200_000_000, source: "microbench").utf8)
    for index in 0..<lines {
        let line = Array("\(512 + index % 97),\(498 - index % 89),\(620 + index % 31)\r\n".utf8)
        bytes += RecordingFormat.entry(offsetMicros: Int64(index) * 1000, line: line)
    }
    return bytes
}

/// Feeds `bytes` through the replay reader in 64 KiB blocks, as `ReplayFile` does.
func replay(_ bytes: [UInt8], onChunk: (TimedChunk) -> Void) {
    var reader = ReplayReader(rawLineRate: 50)
    var offset = 0
    let emit: (ReplayReader.Event) -> Void = { if case .chunk(let chunk) = $0 { onChunk(chunk) } }
    while offset < bytes.count {
        let end = min(offset + 65_536, bytes.count)
        reader.feed(bytes[offset..<end], emit: emit)
        offset = end
    }
    reader.finish(emit: emit)
}

func measure(_ name: String, _ body: () -> Int) {
    var best = Double.infinity
    var lines = 0
    for _ in 0..<3 {
        let start = WallClock.monotonicMicros()
        lines = body()
        best = min(best, Double(WallClock.monotonicMicros() - start) / 1_000_000)
    }
    let perSecond = Double(lines) / best
    print("\(name.padding(toLength: 52, withPad: " ", startingAt: 0)) \(String(format: "%10.0f", perSecond)) lines/s  \(String(format: "%6.0f", best * 1e9 / Double(lines))) ns/line")
}

let logger: Logger = {
    var logger = Logger(label: "microbench")
    logger.logLevel = .critical
    return logger
}()
let bytes = recording(lines: lineCount)

func replayOnly() -> Int {
    var lines = 0
    replay(bytes) { _ in lines += 1 }
    return lines
}

@MainActor func ingestRun(formats: [any WireFormat]) -> Int {
    let stream = SensorStream(source: SourceStatus(kind: .replay, name: "bench", baud: nil), capacity: 65_536)
    let pipeline = IngestPipeline(stream: stream, logger: logger)
    let logs = formats.map { FrameLog(format: $0, stream: stream) }
    var cursors = logs.map { _ in UInt64(0) }
    var lines = 0
    replay(bytes) { chunk in
        pipeline.ingest(chunk.bytes[...], receivedMicros: 1_763_683_200_000_000 + chunk.offsetMicros)
        lines += 1
        // Readers come often enough that nothing is overwritten before it is framed.
        if lines % 4096 == 0 {
            for (index, log) in logs.enumerated() {
                cursors[index] = log.read(from: cursors[index], maxSamples: .max).last.map { $0.number + 1 } ?? cursors[index]
            }
        }
    }
    for (index, log) in logs.enumerated() { _ = log.read(from: cursors[index], maxSamples: .max) }
    precondition(stream.statistics.snapshot.samples == UInt64(lineCount), "every line is a sample")
    return lines
}

/// A replay at `--speed 0`: the reader's lines, where they lie in each block, gathered into
/// reads of about `ReplaySource.batchBytes` (16 KiB) for the pipeline, as `ReplaySource` does.
func replayIngestRun() -> Int {
    let stream = SensorStream(source: SourceStatus(kind: .replay, name: "bench", baud: nil), capacity: 65_536)
    let pipeline = IngestPipeline(stream: stream, logger: logger)
    var reader = ReplayReader(rawLineRate: 50)
    var batch: [UInt8] = []
    batch.reserveCapacity(32 * 1024)
    var lines = 0
    let received: Int64 = 1_763_683_200_000_000
    func deliver() {
        pipeline.ingest(batch[...], receivedMicros: received + Int64(lines))
        batch.removeAll(keepingCapacity: true)
    }
    func take(_ offset: Int64, _ line: ArraySlice<UInt8>) {
        batch.append(contentsOf: line)
        batch.append(UInt8(ascii: "\n"))
        lines += 1
        if batch.count >= 16 * 1024 { deliver() }
    }
    var offset = 0
    while offset < bytes.count {
        let end = min(offset + 65_536, bytes.count)
        reader.feed(bytes[offset..<end], entry: take, emit: { _ in })
        deliver()
        offset = end
    }
    reader.finish(entry: take, emit: { _ in })
    deliver()
    precondition(stream.statistics.snapshot.samples == UInt64(lineCount), "every line is a sample")
    return lines
}

/// Each stage: what the lines go through, added in turn.
let stages: [(key: String, title: String, run: @MainActor () -> Int)] = [
    ("replay", "replay reader (recording → timed lines)", replayOnly),
    ("ingest", "+ framer, parser, statistics, stream", { ingestRun(formats: []) }),
    ("replay-ingest", "replay at --speed 0: lines gathered, then ingest", replayIngestRun),
    ("batched", "+ encoded and framed: batched stream", { ingestRun(formats: [BatchedFormat(framing: .webSocket)]) }),
    ("per-sample", "+ encoded and framed: per-sample stream", { ingestRun(formats: [PerSampleFormat(framing: .webSocket)]) }),
    ("both", "+ both streams", { ingestRun(formats: [BatchedFormat(framing: .webSocket), PerSampleFormat(framing: .webSocket)]) }),
]

/// The stage's run alone: scripts/instructions.sh has callgrind count inside this function only
/// (`--toggle-collect`), not the recording's making.
@inline(never) @MainActor func countedRun(_ run: @MainActor () -> Int) -> Int { run() }

if let onceStage {
    guard let stage = stages.first(where: { $0.key == onceStage }) else {
        print("no stage \(onceStage); one of: \(stages.map(\.key).joined(separator: ", "))")
        exit(2)
    }
    _ = countedRun(stage.run)
} else {
    print("\(lineCount) lines, \(bytes.count / 1_000_000) MB of recording; best of 3")
    for stage in stages { measure(stage.title) { stage.run() } }
}
