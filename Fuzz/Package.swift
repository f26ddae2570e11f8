// swift-tools-version:6.1
// Coverage-guided fuzz targets (libFuzzer) for every parser of outside input in sensorbridge.
// Built on its own, with sanitizers, so the main package's .build is never touched:
//   swift build --package-path Fuzz -c debug --sanitize=fuzzer --sanitize=address \
//     -Xswiftc -sanitize=fuzzer,address -Xswiftc -parse-as-library
// `bash scripts/fuzz.sh` builds and runs them (docs/reliability.md, "Fuzzing"). It needs the
// main package's SensorBridgeServer and SensorBridgeMQTT library products. The dependency is
// named: a path dependency's identity is its folder's name, which differs between clones.
import PackageDescription

let package = Package(
    name: "sensorbridge-fuzz",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(name: "sensorbridge", path: ".."),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.3"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
    ],
    targets: [
        // Input splitting, invariant checks and the switch for known-crash workarounds.
        .target(name: "FuzzSupport"),
        .executableTarget(
            name: "FuzzLines",
            dependencies: ["FuzzSupport", .product(name: "SensorBridgeCore", package: "sensorbridge")]),
        .executableTarget(
            name: "FuzzRecording",
            dependencies: ["FuzzSupport", .product(name: "SensorBridgeCore", package: "sensorbridge")]),
        .executableTarget(
            name: "FuzzMQTTPayload",
            dependencies: [
                "FuzzSupport",
                .product(name: "SensorBridgeCore", package: "sensorbridge"),
                .product(name: "SensorBridgeMQTT", package: "sensorbridge"),
            ]),
        .executableTarget(
            name: "FuzzHandshake",
            dependencies: [
                "FuzzSupport",
                .product(name: "SensorBridgeCore", package: "sensorbridge"),
                .product(name: "SensorBridgeStream", package: "sensorbridge"),
                .product(name: "SensorBridgeServer", package: "sensorbridge"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]),
        .executableTarget(
            name: "FuzzMisc",
            dependencies: [
                "FuzzSupport",
                .product(name: "SensorBridgeCore", package: "sensorbridge"),
                .product(name: "SensorBridgeStream", package: "sensorbridge"),
                .product(name: "SensorBridgeServer", package: "sensorbridge"),
                .product(name: "SensorBridgeMQTT", package: "sensorbridge"),
                .product(name: "Logging", package: "swift-log"),
            ]),
        .executableTarget(
            name: "FuzzStore",
            dependencies: ["FuzzSupport", .product(name: "SensorBridgeCore", package: "sensorbridge")]),
    ],
    swiftLanguageModes: [.v6]
)
