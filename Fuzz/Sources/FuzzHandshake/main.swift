// What a hostile TCP client sends to the bridge's port → the server's real connection
// pipeline (`GraphServer.initialize`: admission, HTTP decoder, request timeout, access guard,
// WebSocket upgrade, HTTP handler) on an `EmbeddedChannel`. Reached through it: the HTTP
// endpoints, WebSocketHandshake.evaluate, HybiHandshake, Hixie76Handshake (key1/key2 and the
// 8 key3 bytes), SubprotocolChoice, AccessPolicy.decide, StreamRequest(uri:) (`/graph?…`,
// `/api/lines?after=`), the frames after the upgrade (ClientFrameValidator,
// TextFrameUTF8Validator, HixieFrameCodec, CloseFrameReply, a batched client's SendRequest),
// the stream written to the client, and the channel closed at the end.
//
// Input: 4 control bytes, then what the client sends. `@ID@` in it becomes the stream's id
// (random per run), so `stream=@ID@&after=N` resumes.
//   [0] bits 0-1 access: 0 loopback names only; 1 that and token "t0ken"; 2 open;
//                        3 Host bridge.local, Origin http://example.com, token "t0ken"
//       bit 2 /echo on; bit 3 sending to the board on; bit 4 --max-clients 0 (503);
//       bit 5 11 s pass at the end (handshake timeouts); bit 6 small limits (256-byte
//       headers, 125-byte frames); bit 7 no samples published
//   [1], [2] where the bytes are cut into three reads (fractions of the length, /255)
//   [3] bit 0 the client is 192.0.2.7 instead of 127.0.0.1
//
// Checked: nothing traps and no error escapes except as NIO reports it; everything written
// starts with an HTTP status line (no frame before the handshake's answer); without the
// token, nothing of the protected endpoints is served; after the close, no client is left
// registered.
import FuzzSupport
import Logging
import NIOCore
import NIOEmbedded
import SensorBridgeCore
import SensorBridgeServer
import SensorBridgeStream

/// Evaluates every message (so the code that formats them runs) and drops it.
private struct DiscardingLogHandler: LogHandler {
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .trace
    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }
    func log(event: LogEvent) { _ = event.message.description }
}

private let logger = Logger(label: "fuzz", factory: { _ in DiscardingLogHandler() })

private struct NullBoard: LineTarget {
    func writeLine(_ bytes: [UInt8]) throws {}
}

private let xyz = ChannelLayout(names: ["x", "y", "z"], isNamedByDevice: false)
private let named = ChannelLayout(names: ["AcX", "AcY"], isNamedByDevice: true)
private let pages = PageFiles.embedded(["/": (Array("<html>graph</html>".utf8), "text/html")])

private func contains(_ haystack: [UInt8], _ needle: String) -> Bool {
    let needle = Array(needle.utf8)
    guard needle.count <= haystack.count else { return false }
    return (0...(haystack.count - needle.count)).contains { haystack[$0..<($0 + needle.count)].elementsEqual(needle) }
}

private func replacing(_ bytes: ArraySlice<UInt8>, _ placeholder: String, with value: String) -> [UInt8] {
    let target = Array(placeholder.utf8)
    var out: [UInt8] = []
    var index = bytes.startIndex
    while index < bytes.endIndex {
        if bytes[index...].starts(with: target) {
            out += value.utf8
            index += target.count
        } else {
            out.append(bytes[index])
            index += 1
        }
    }
    return out
}

@_cdecl("LLVMFuzzerTestOneInput")
public func FuzzHandshake(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    let input = FuzzInput(start, count, headerCount: 4)
    let flags = input.header[0]
    let tokenRequired = flags & 3 == 1 || flags & 3 == 3
    let echo = flags & 4 != 0
    let publishing = flags & 0x80 == 0

    let stream = SensorStream(
        source: SourceStatus(kind: .serial, name: "/dev/ttyACM0", baud: 115_200, state: .connected), capacity: 64)
    let bytes = replacing(input.body, "@ID@", with: stream.streamID)

    if publishing {
        for index in 0..<3 {
            stream.publish(Sample(timeMicros: WallClock.nowMicros(), values: [Double(index), 2, .nan], layout: xyz))
        }
    }
    let monitor = LineMonitor(capacity: 8)
    monitor.received(Array("512,498,620".utf8), micros: WallClock.nowMicros())
    monitor.received(Array("# ADXL335 ready".utf8), micros: WallClock.nowMicros())
    monitor.received([0xFF, 0x00, 0x41], micros: WallClock.nowMicros())
    monitor.rejected([0xFF, 0x00, 0x41], kind: .nulByte)
    let sender = flags & 8 != 0 ? LineSender(target: NullBoard(), monitor: monitor, logger: logger) : nil
    let clients = GraphClients(stream: stream, sender: sender, monitor: monitor)

    let access: AccessPolicy = switch flags & 3 {
    case 0: AccessPolicy()
    case 1: AccessPolicy(token: "t0ken")
    case 2: .open
    default: AccessPolicy(allowedOrigins: ["http://example.com"], allowedHosts: ["bridge.local"], token: "t0ken")
    }
    let small = flags & 0x40 != 0
    let configuration = GraphServer.Configuration(
        maxClientFrameSize: small ? 125 : 16_384, maxHeaderBytes: small ? 256 : 16_384, echoEndpoint: echo,
        access: access, maxClients: flags & 0x10 != 0 ? 0 : 10)

    let channel = EmbeddedChannel()
    let loop = channel.embeddedEventLoop
    var written: [UInt8] = []
    func drain() {
        while true {
            do {
                guard let part = try channel.readOutbound(as: IOData.self) else { return }
                guard case .byteBuffer(let buffer) = part else { return Fuzz.check(false, "a file region written") }
                written += buffer.readableBytesView
            } catch {
                return Fuzz.check(false, "something other than bytes written: \(error)")
            }
        }
    }

    do {
        try GraphServer.initialize(
            channel, sources: BridgeSources([clients]), pages: pages, configuration: configuration, logger: logger,
            log: .init(logger: logger), slots: .init(limit: configuration.maxClients),
            limiter: .init(maxConnections: 100, maxPerAddress: 4)
        ).wait()
        let address = input.header[3] & 1 == 0 ? "127.0.0.1" : "192.0.2.7"
        try channel.connect(to: SocketAddress(ipAddress: address, port: 50_000)).wait()
    } catch {
        Fuzz.check(false, "the pipeline could not be built: \(error)")
    }

    for (index, piece) in Fuzz.pieces(bytes[...], at: [input.header[1], input.header[2]]).enumerated() {
        guard channel.isActive else { break }
        if !piece.isEmpty {
            // Errors that reach the end of the pipeline (a WebSocket protocol error, after
            // its close frame) are NIO's way; only traps count.
            do { try channel.writeInbound(ByteBuffer(bytes: piece)) } catch {}
        }
        if publishing {
            let layout = index % 2 == 0 ? xyz : named
            stream.publish(Sample(timeMicros: WallClock.nowMicros(), values: Array(repeating: 1.5, count: layout.count), layout: layout))
            if index == 1 { stream.updateSource(state: .disconnected, detail: "unplugged") }
        }
        loop.advanceTime(by: .milliseconds(10))
        drain()
    }
    if flags & 0x20 != 0 {
        loop.advanceTime(by: .seconds(11))
        drain()
    }
    _ = try? channel.close().wait()
    loop.run()
    drain()
    _ = try? channel.throwIfErrorCaught()

    if !written.isEmpty {
        Fuzz.check(written.starts(with: Array("HTTP/1.".utf8)), "the first bytes written are not a status line: \(Fuzz.escaped(written.prefix(64)))")
    }
    if tokenRequired, !contains(bytes, "t0ken"), !bytes.contains(UInt8(ascii: "%")) {
        // What only a served endpoint writes (unless the client sent it, to be quoted back in a refusal).
        func never(_ marker: String, _ what: String) {
            Fuzz.check(contains(bytes, marker) || !contains(written, marker), "\(what) without the token")
        }
        never("HTTP/1.1 101 WebSocket Protocol Handshake", "a hixie-76 upgrade")
        if !echo { never("HTTP/1.1 101 Switching Protocols", "an upgrade to /graph") }
        never("\"bufferCapacity\"", "/api/status served")
        never("sensorbridge_uptime", "/metrics served")
        never("ADXL335 ready", "/api/lines served")
    }
    let left = clients.statusReport().clients
    Fuzz.check(left.isEmpty, "\(left.count) client(s) still registered after the connection closed")

    _ = try? channel.finish(acceptAlreadyClosed: true)
    return 0
}
