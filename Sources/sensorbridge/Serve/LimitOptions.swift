import ArgumentParser
import NIOCore
import SensorBridgeCore
import SensorBridgeServer
import SensorBridgeStream

/// What the bridge keeps in memory and how many it serves, for how long.
struct LimitOptions: ParsableArguments {
    @Option(help: "Seconds of recent samples a newly connected client receives first, unless it asks for more with /graph?history=SECONDS (the page asks for 10 minutes).")
    var history: Double = 5

    @Option(help: "Samples kept in memory for late joiners and slow clients: the most history a client can get. The default holds 10 minutes at 100 Hz. Memory: about 250 bytes per sample of 3 channels, 20 more per extra channel: 16 MB for 65536 samples of 3 channels, 20 MB of 6 (docs/benchmarks.md).")
    var buffer: Int = 65_536

    @Option(help: ArgumentHelp(
        "The most memory those samples may take (e.g. 64M, 1G): wide samples (many channels) make the history shorter, never the memory larger.",
        valueName: "size"))
    var bufferBytes: String = "64M"

    @Option(help: "Graph clients served at once; the next gets 503. Default: as many as the descriptor limit allows (raised to the hard limit at start).")
    var maxClients: Int?

    @Option(help: "Open connections from one address (loopback excepted); the next gets 503.")
    var maxConnectionsPerAddress: Int = 64

    @Option(help: ArgumentHelp(
        "Milliseconds the bridge gathers samples before writing them to each viewer, its latency budget: samples that come faster go out together, one write a viewer for several. More serves more viewers of a fast board for the same CPU; 0 writes each read of the device at once. At most 1000.",
        valueName: "ms"))
    var gather: Double = Self.defaultGatherMilliseconds

    private static let defaultGatherMilliseconds = Double(GraphClients.defaultGatherDelay.nanoseconds) / 1_000_000

    @Option(help: "Seconds a graph client may stay behind the stream (not reading, or reading too slowly) before it is closed (1008).")
    var clientTimeout: Double = 30

    func validate() throws {
        guard history >= 0, history.isFinite else { throw ValidationError("--history must be 0 or more") }
        guard history <= DurationText.maxSeconds else { throw ValidationError("--history must be at most \(Int(DurationText.maxSeconds)) seconds") }
        guard buffer >= 16 else { throw ValidationError("--buffer must be at least 16 samples") }
        guard buffer <= 100_000_000 else { throw ValidationError("--buffer must be at most 100000000 samples (use --buffer-bytes to bound memory)") }
        guard let bytes = ByteSizeText.bytes(bufferBytes), bytes >= 1 << 20 else {
            throw ValidationError("--buffer-bytes must be a size from 1M to 1T, such as 64M or 1G")
        }
        guard maxClients.map({ $0 >= 1 }) ?? true else { throw ValidationError("--max-clients must be at least 1") }
        guard maxConnectionsPerAddress >= 1 else { throw ValidationError("--max-connections-per-address must be at least 1") }
        guard gather.isFinite, gather >= 0, gather <= 1000 else {
            throw ValidationError("--gather must be 0…1000 milliseconds (the default is \(Int(Self.defaultGatherMilliseconds)))")
        }
        guard clientTimeout >= 0.1, clientTimeout <= 86_400 else {
            throw ValidationError("--client-timeout must be 0.1…86400 seconds")
        }
    }

    /// `--gather` (checked by `validate`), to the microsecond.
    var gatherDelay: TimeAmount { .microseconds(Int64((gather * 1000).rounded())) }

    /// A stream sized by `--buffer` and `--buffer-bytes` (checked by `validate`).
    func makeStream(source: SourceStatus) -> SensorStream {
        SensorStream(source: source, capacity: buffer, maxBytes: ByteSizeText.bytes(bufferBytes) ?? SensorStream.defaultMaxBytes,
                     historySeconds: history)
    }
}
