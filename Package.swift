// swift-tools-version:6.1
import PackageDescription

/// The parsers of outside input are optimized in debug builds too: the tests (built once, in
/// debug) drive a relay with 50 000 hostile messages a second, which unoptimized code cannot
/// read as fast as the shipped binary does.
let optimizedAlways: [SwiftSetting] = [.unsafeFlags(["-O"], .when(configuration: .debug))]

let package = Package(
    name: "sensorbridge",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "sensorbridge", targets: ["sensorbridge"]),
        .library(name: "SensorBridgeCore", targets: ["SensorBridgeCore"]),
        .library(name: "SensorBridgeStream", targets: ["SensorBridgeStream"]),
        // For the fuzz targets in Fuzz/, a package of their own (built with sanitizers).
        .library(name: "SensorBridgeServer", targets: ["SensorBridgeServer"]),
        .library(name: "SensorBridgeMQTT", targets: ["SensorBridgeMQTT"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.3"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        // SHA-1 (RFC 6455 accept) and MD5 (hixie-76 answer) as `Insecure` digests.
        .package(url: "https://github.com/apple/swift-crypto.git", from: "3.12.3"),
        // `/metrics` in the Prometheus text format.
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        // Deque: the server's log of framed chunks, trimmed at the front as the stream moves on.
        .package(url: "https://github.com/apple/swift-collections.git", from: "1.6.0"),
        // The history store: SQLite (Debian: libsqlite3-dev) in WAL mode.
        .package(url: "https://github.com/groue/GRDB.swift.git", from: "7.10.0"),
        // Property-based tests of the store's codecs.
        .package(url: "https://github.com/x-sheep/swift-property-based.git", from: "2.0.1"),
    ],
    targets: [
        // Pure Swift: samples, line framing and parsing, the ring, log formats. No I/O frameworks.
        .target(name: "SensorBridgeCore", swiftSettings: optimizedAlways),
        // The stream at the heart: the history of samples and source-state events with a
        // cursor per subscriber, the ingest path (framer → recorder and parser → stream), and
        // the sources' common shape (`ByteSource`, `SourceThread`) with the replay. No NIO.
        .target(
            name: "SensorBridgeStream",
            dependencies: [
                "SensorBridgeCore",
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // The history store: compressed blocks and summary cells in SQLite (GRDB), its
        // writer (one more subscriber of the stream), queries, export and import. No NIO.
        .target(
            name: "SensorBridgeStore",
            dependencies: [
                "SensorBridgeCore", "SensorBridgeStream",
                .product(name: "GRDB", package: "GRDB.swift"),
                // SQLite's C API, for queries that step statements without GRDB's rows.
                .product(name: "GRDBSQLite", package: "GRDB.swift"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: optimizedAlways
        ),
        // libudev, through pkg-config (Debian: libudev-dev).
        .systemLibrary(
            name: "CUdev",
            pkgConfig: "libudev",
            providers: [.apt(["libudev-dev"])]
        ),
        // glibc's mallopt, for the allocator settings the server runs with (MallocTuning).
        .systemLibrary(name: "CMalloc"),
        // Mosquitto's own MQTT client library, through pkg-config (Debian: libmosquitto-dev).
        .systemLibrary(
            name: "CMosquitto",
            pkgConfig: "libmosquitto",
            providers: [.apt(["libmosquitto-dev"])]
        ),
        // MQTT: a sink that publishes the stream to a broker, and a source that relays a
        // broker's stream into this bridge. A thin shell around libmosquitto; no NIO.
        .target(
            name: "SensorBridgeMQTT",
            dependencies: [
                "SensorBridgeCore", "SensorBridgeStream", "CMosquitto",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: optimizedAlways
        ),
        // Linux termios2 (any baud rate), whose kernel header cannot share a file with glibc's termios.h.
        .target(name: "CSerialSpeed"),
        // termios device access and udev device facts.
        .target(
            name: "SensorBridgeSerial",
            dependencies: [
                "SensorBridgeCore", "SensorBridgeStream", "CUdev", "CSerialSpeed",
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // Boards on the network as byte sources: a TCP connection the bridge keeps open, a UDP
        // port it listens on. Plain sockets on a `SourceThread`, like the serial reader; no NIO.
        .target(
            name: "SensorBridgeNetwork",
            dependencies: [
                "SensorBridgeCore", "SensorBridgeStream",
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // The graph page, embedded in the binary so an installed sensorbridge needs no files beside it.
        .target(
            name: "SensorBridgeWeb",
            path: "web",
            exclude: ["README.md", "maths/package.json"],
            sources: ["WebAssets.swift"],
            resources: [
                .embedInCode("index.html"),
                .embedInCode("graph.js"),
                .embedInCode("store.js"),
                .embedInCode("plot.js"),
                .embedInCode("serial.js"),
                .embedInCode("style.css"),
                .embedInCode("page/series-transform.js"),
                .embedInCode("page/stream-client.js"),
                .embedInCode("page/settings.js"),
                .embedInCode("page/download.js"),
                .embedInCode("page/axis.js"),
                .embedInCode("page/sources.js"),
                .embedInCode("views/spectrum-view.js"),
                .embedInCode("views/trigger-view.js"),
                .embedInCode("views/source-panels.js"),
                .embedInCode("maths/statistics.js"),
                .embedInCode("maths/timing.js"),
                .embedInCode("maths/fft.js"),
                .embedInCode("maths/trigger.js"),
                .embedInCode("maths/expression.js"),
                .embedInCode("maths/calibration.js"),
            ]
        ),
        // SwiftNIO: HTTP, WebSocket handshakes, fan-out to clients.
        .target(
            name: "SensorBridgeServer",
            dependencies: [
                "SensorBridgeCore", "SensorBridgeStream",
                .product(name: "DequeModule", package: "swift-collections"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ]
        ),
        .executableTarget(
            name: "sensorbridge",
            dependencies: [
                "SensorBridgeCore", "SensorBridgeStream", "SensorBridgeSerial", "SensorBridgeServer", "SensorBridgeWeb",
                "SensorBridgeMQTT", "SensorBridgeStore", "SensorBridgeNetwork", "CMalloc",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ]
        ),
        // The data path's stages on a synthetic recording; run release-built (docs/benchmarks.md).
        .executableTarget(
            name: "sensorbridge-microbench",
            dependencies: [
                "SensorBridgeCore", "SensorBridgeStream", "SensorBridgeServer",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            path: "Benchmarks/Microbench"
        ),
        // `/api/history` answered in process on a store; run release-built (docs/benchmarks.md).
        .executableTarget(
            name: "sensorbridge-querybench",
            dependencies: ["SensorBridgeCore", "SensorBridgeStore"],
            path: "Benchmarks/QueryBench"
        ),
        // Real-socket WebSocket client, pty pair and process runner shared by the tests.
        .target(name: "TestSupport", path: "Tests/TestSupport"),
        .testTarget(name: "SensorBridgeCoreTests", dependencies: ["SensorBridgeCore", "TestSupport"]),
        .testTarget(
            name: "SensorBridgeStoreTests",
            dependencies: [
                "SensorBridgeStore", "SensorBridgeStream", "SensorBridgeCore", "TestSupport",
                .product(name: "PropertyBased", package: "swift-property-based"),
                .product(name: "GRDB", package: "GRDB.swift"),
            ]),
        .testTarget(name: "SensorBridgeStreamTests", dependencies: ["SensorBridgeStream", "SensorBridgeCore", "TestSupport"]),
        .testTarget(name: "SensorBridgeMQTTTests", dependencies: ["SensorBridgeMQTT", "SensorBridgeStream", "SensorBridgeCore", "TestSupport"]),
        .testTarget(
            name: "SensorBridgeNetworkTests",
            dependencies: [
                "SensorBridgeNetwork", "SensorBridgeStream", "SensorBridgeCore", "TestSupport",
                .product(name: "Logging", package: "swift-log"),
            ]),
        .testTarget(name: "SensorBridgeSerialTests", dependencies: ["SensorBridgeSerial", "SensorBridgeStream", "TestSupport"]),
        .testTarget(
            name: "SensorBridgeServerTests",
            dependencies: [
                "SensorBridgeServer", "SensorBridgeCore", "SensorBridgeStream", "SensorBridgeSerial", "TestSupport",
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ]
        ),
        // Runs the built binary; depending on it makes `swift test` build it first.
        .testTarget(
            name: "EndToEndTests", dependencies: ["SensorBridgeCore", "SensorBridgeSerial", "TestSupport", "sensorbridge"]),
    ],
    swiftLanguageModes: [.v6]
)
