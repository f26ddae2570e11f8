import SensorBridgeStream
import Foundation
import Logging
import NIOCore
import NIOEmbedded
import NIOHTTP1
import NIOWebSocket
import Testing
@testable import SensorBridgeCore
@testable import SensorBridgeServer
@testable import SensorBridgeStream

/// The text of every frame in `bytes` (server frames: unmasked RFC 6455, or hixie-76).
private func frames(_ bytes: ByteBuffer, framing: Framing = .webSocket) -> [String] {
    var buffer = bytes
    var texts: [String] = []
    while buffer.readableBytes > 0 {
        switch framing {
        case .webSocket:
            let first = buffer.readInteger(as: UInt8.self)!
            precondition(first == 0x81, "a final text frame")
            var length = Int(buffer.readInteger(as: UInt8.self)!)
            if length == 126 { length = Int(buffer.readInteger(as: UInt16.self)!) }
            else if length == 127 { length = Int(buffer.readInteger(as: UInt64.self)!) }
            texts.append(buffer.readString(length: length)!)
        case .hixie76:
            precondition(buffer.readInteger(as: UInt8.self) == 0x00)
            let end = buffer.readableBytesView.firstIndex(of: 0xFF)! - buffer.readerIndex
            texts.append(buffer.readString(length: end)!)
            buffer.moveReaderIndex(forwardBy: 1)
        }
    }
    return texts
}

private let xyz = ChannelLayout.defaultNames(count: 3)

private func testStream(capacity: Int = 1024) -> SensorStream {
    SensorStream(source: SourceStatus(kind: .serial, name: "unit", baud: nil, state: .connected), capacity: capacity)
}

@Suite struct WireFormatTests {
    @Test func webSocketHeadersFollowThePayloadLength() {
        for (length, header) in [(5, [0x81, 5]), (125, [0x81, 125]), (126, [0x81, 126, 0, 126]),
                                 (70_000, [0x81, 127, 0, 0, 0, 0, 0, 1, 0x11, 0x70])] as [(Int, [UInt8])] {
            var out = ByteBuffer()
            Framing.webSocket.appendText(Array(repeating: UInt8(ascii: "a"), count: length), to: &out)
            #expect(out.readBytes(length: header.count) == header)
            #expect(out.readableBytes == length)
        }
        var hixie = ByteBuffer()
        Framing.hixie76.appendText(Array("[1]".utf8), to: &hixie)
        #expect(Array(hixie.readableBytesView) == [0x00] + Array("[1]".utf8) + [0xFF])
    }

    @Test func theBatchedFormatAnnouncesAChangeOfChannelsWithinARun() {
        let ab = ChannelLayout(names: ["a", "b"], isNamedByDevice: true)
        var layout: ChannelLayout? = xyz
        var out = ByteBuffer()
        let count = BatchedFormat(framing: .webSocket).appendSamples(
            [Sample(timeMicros: 1_000, values: [1, 2, 3], layout: xyz), Sample(timeMicros: 2_000, values: [4, 5], layout: ab)],
            firstSample: 7, layout: &layout, to: &out)
        #expect(frames(out) == [
            #"{"type":"samples","seq":7,"samples":[[1.000,1,2,3]]}"#,
            #"{"type":"channels","seq":8,"channels":["a","b"]}"#,
            #"{"type":"samples","seq":8,"samples":[[2.000,4,5]]}"#,
        ])
        #expect(count.frames == 3)
        #expect(layout === ab)
    }
}

@Suite struct FrameLogTests {
    @Test func eachEventIsFramedOnceAndEveryReaderGetsTheSameBytes() {
        let stream = testStream()
        let log = FrameLog(format: PerSampleFormat(framing: .webSocket), stream: stream)
        stream.publish(Sample(timeMicros: 1_000, values: [1, 2, 3], layout: xyz))
        stream.publish(Sample(timeMicros: 2_000, values: [4, 5, 6], layout: xyz))
        let first = log.read(from: 0, maxSamples: 100)
        let second = log.read(from: 0, maxSamples: 100)
        #expect(first.count == 1, "what arrived between two reads is one chunk")
        #expect(frames(first[0].bytes) == ["[1.000,1,2,3]", "[2.000,4,5,6]"])
        let same = first[0].bytes.withUnsafeReadableBytes { a in
            second[0].bytes.withUnsafeReadableBytes { b in a.baseAddress == b.baseAddress }
        }
        #expect(same, "the second reader is handed the first one's bytes, not a new encoding")
        #expect(first[0].firstSample == 0 && first[0].endSample == 2)
    }

    @Test func aTurnReadsEachPlaceOnceAndJoinsItsChunksIntoOneBuffer() {
        let stream = testStream()
        let log = FrameLog(format: PerSampleFormat(framing: .webSocket), stream: stream)
        stream.publish(Sample(timeMicros: 1_000, values: [1, 2, 3], layout: xyz))
        _ = log.read(from: 0, maxSamples: 100)
        stream.updateSource(state: .disconnected, detail: "unplugged")
        stream.publish(Sample(timeMicros: 2_000, values: [4, 5, 6], layout: xyz))
        let reads = TurnReads()
        let first = reads.read(log, from: 0, maxSamples: 100)
        #expect(first.chunks.count == 3, "a run, the state change (no bytes in this format), a run")
        #expect(frames(first.joined) == ["[1.000,1,2,3]", "[2.000,4,5,6]"])
        #expect(first.count.frames == 2 && first.count.payloadBytes == first.chunks.map(\.count.payloadBytes).reduce(0, +))
        // Later in the turn another client at the same place is handed the same buffer.
        stream.publish(Sample(timeMicros: 3_000, values: [7, 8, 9], layout: xyz))
        let second = reads.read(log, from: 0, maxSamples: 100)
        let same = first.joined.withUnsafeReadableBytes { a in second.joined.withUnsafeReadableBytes { b in a.baseAddress == b.baseAddress } }
        #expect(same && second.chunks.count == 3, "one read a place a turn; the newer sample waits for the next")
        reads.begin(catchingUp: true)
        #expect(frames(reads.read(log, from: 0, maxSamples: 100).joined) == ["[1.000,1,2,3]", "[2.000,4,5,6]", "[3.000,7,8,9]"])
        // One chunk with bytes: its own buffer, not a copy.
        let single = TurnReads.join(Array(first.chunks.prefix(2)))
        let shared = single.joined.withUnsafeReadableBytes { a in first.chunks[0].bytes.withUnsafeReadableBytes { b in a.baseAddress == b.baseAddress } }
        #expect(shared)
    }

    /// A loop's turns after a wake-up's pass serve what that pass encoded: samples that come
    /// meanwhile are not cut into chunks (messages) of their own, turn by turn, but wait for
    /// the wake-up they caused, and go out together as one.
    @Test func turnsAfterAWakeUpsPassKeepTheNextGatheringWhole() throws {
        let stream = testStream()
        let log = FrameLog(format: BatchedFormat(framing: .webSocket), stream: stream)
        stream.publish(Sample(timeMicros: 1_000, values: [1, 2, 3], layout: xyz))
        let reads = TurnReads()
        reads.begin(catchingUp: true)
        #expect(reads.read(log, from: 0, maxSamples: 100).samples == 1)
        let next = log.nextChunk
        for index in 2...4 {
            stream.publish(Sample(timeMicros: Int64(index) * 1_000, values: [Double(index), 0, 0], layout: xyz))
            reads.begin(catchingUp: false)
            #expect(reads.read(log, from: next, maxSamples: 100).chunks.isEmpty, "a later turn encodes nothing new")
        }
        #expect(log.nextChunk == next)
        reads.begin(catchingUp: true)
        let gathered = reads.read(log, from: next, maxSamples: 100)
        let chunk = try #require(gathered.chunks.first)
        #expect(gathered.chunks.count == 1 && gathered.samples == 3)
        #expect(frames(gathered.joined).count == 1, "one samples message for the three")
        #expect(log.nextChunk == chunk.number + 1)
    }

    @Test func aStateChangeIsAChunkOfItsOwnAndRunsAreCut() {
        let stream = testStream()
        let log = FrameLog(format: BatchedFormat(framing: .hixie76), stream: stream)
        for index in 0..<(FrameLog.eventsPerChunk + 10) {
            stream.publish(Sample(timeMicros: Int64(index), values: [1, 2, 3], layout: xyz))
        }
        stream.updateSource(state: .disconnected, detail: "unplugged")
        stream.publish(Sample(timeMicros: 9_999, values: [7, 8, 9], layout: xyz))
        let chunks = log.read(from: 0, maxSamples: .max)
        #expect(chunks.map(\.samples) == [UInt64(FrameLog.eventsPerChunk), 10, 0, 1])
        #expect(chunks.map(\.isStateChange) == [false, false, true, false])
        #expect(frames(chunks[2].bytes, framing: .hixie76) == [#"{"type":"status","state":"disconnected","detail":"unplugged"}"#])
        #expect(chunks[3].firstSample == UInt64(FrameLog.eventsPerChunk + 10))
        // The per-sample stream carries no state: that chunk is empty but keeps the order.
        let plain = FrameLog(format: PerSampleFormat(framing: .webSocket), stream: stream).read(from: 0, maxSamples: .max)
        #expect(plain[2].isStateChange && plain[2].bytes.readableBytes == 0)
    }

    @Test func aClientStartingInsideAChunkGetsTheRestEncodedForItAlone() {
        let stream = testStream()
        let log = FrameLog(format: PerSampleFormat(framing: .webSocket), stream: stream)
        for index in 0..<5 { stream.publish(Sample(timeMicros: Int64(index), values: [1, 2, 3], layout: xyz)) }
        #expect(log.locate(event: 0) == (chunk: 0, headEnd: 0))
        #expect(log.locate(event: 2) == (chunk: 1, headEnd: 5), "events 2..<5 are its own, then chunk 1")
        #expect(log.locate(event: 5) == (chunk: 1, headEnd: 5))
    }

    @Test func chunksGoWhenTheStreamNoLongerHoldsTheirEvents() {
        let stream = testStream(capacity: 16)
        let log = FrameLog(format: PerSampleFormat(framing: .webSocket), stream: stream)
        for round in 0..<4 {
            for index in 0..<8 { stream.publish(Sample(timeMicros: Int64(round * 8 + index), values: [1], layout: xyz)) }
            _ = log.read(from: log.nextChunk, maxSamples: 100)
        }
        let held = log.read(from: 0, maxSamples: .max)
        #expect(held.first?.firstEvent == 16, "the first two chunks (events 0..<16) are gone with their events")
        #expect(held.map(\.samples) == [8, 8])
    }
}

/// `GraphClientHandler` on embedded channels, behind the real frame encoder: what goes out
/// is exactly what a socket would carry.
@Suite struct GraphClientHandlerTests {
    private func client(_ clients: GraphClients, protocols: [String], uri: String = "/graph") throws -> EmbeddedChannel {
        let head = HTTPRequestHead(version: .http1_1, method: .GET, uri: uri)
        let facts = HandshakeFacts(family: "rfc6455", version: "13", choice: SubprotocolChoice(headerValues: protocols), head: head)
        let record = ClientRecord(id: clients.makeClientID(), remoteAddress: "test", connectedMicros: 0, handshake: facts)
        let handler = GraphClientHandler(
            clients: clients, record: record, request: StreamRequest(uri: uri), framing: .webSocket,
            slot: ClientSlots(limit: 10).take()!, clientTimeout: .seconds(30), log: ThrottledLog(logger: Logger(label: "test")))
        let channel = EmbeddedChannel()
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 9)).wait()
        try channel.pipeline.syncOperations.addHandler(WebSocketFrameEncoder())
        try channel.pipeline.syncOperations.addHandler(handler)
        return channel
    }

    private func sent(_ channel: EmbeddedChannel) throws -> [String] {
        // A wake-up gathers samples for a moment before serving the clients.
        channel.embeddedEventLoop.advanceTime(by: GraphClients.defaultGatherDelay)
        var texts: [String] = []
        while let bytes = try channel.readOutbound(as: ByteBuffer.self) { texts += frames(bytes) }
        return texts
    }

    @Test func batchedClientsGetGreetingHistoryLiveSamplesAndStateInOrder() throws {
        let stream = testStream()
        let clients = GraphClients(stream: stream)
        stream.publish(Sample(timeMicros: WallClock.nowMicros(), values: [1, 2, 3], layout: xyz))
        let channel = try client(clients, protocols: [BatchMessages.subprotocol])
        let greeting = try sent(channel)
        #expect(greeting.count == 2)
        #expect(greeting[0].hasPrefix(#"{"type":"hello","protocol":"sensorbridge.batch.v1""#))
        #expect(greeting[1].hasPrefix(#"{"type":"samples","seq":0,"samples":[["#))

        stream.publish(Sample(timeMicros: 5_000, values: [4, 5, 6], layout: xyz))
        stream.updateSource(state: .disconnected, detail: "unplugged")
        #expect(try sent(channel) == [
            #"{"type":"samples","seq":1,"samples":[[5.000,4,5,6]]}"#,
            #"{"type":"status","state":"disconnected","detail":"unplugged"}"#,
        ])
        let status = clients.statusReport().clients.first
        #expect(status?.samplesSent == 2)
        #expect(status?.framesSent == 4)
    }

    @Test func clientsOfOneFormatAreSentOneEncodingAndOthersTheirOwn() throws {
        let stream = testStream()
        let clients = GraphClients(stream: stream)
        let chat = try [client(clients, protocols: ["chat"]), client(clients, protocols: ["chat"])]
        let batched = try client(clients, protocols: [BatchMessages.subprotocol])
        for channel in chat + [batched] { _ = try sent(channel) }
        stream.publish(Sample(timeMicros: 1_500, values: [7, 8, 9], layout: xyz))
        for channel in chat + [batched] { channel.embeddedEventLoop.advanceTime(by: GraphClients.defaultGatherDelay) }
        let outputs = try chat.map { try #require(try $0.readOutbound(as: ByteBuffer.self)) }
        #expect(frames(outputs[0]) == ["[1.500,7,8,9]"])
        #expect(frames(outputs[1]) == ["[1.500,7,8,9]"])
        // It came before the first channels were known: they are announced to it first.
        #expect(try sent(batched) == [#"{"type":"channels","seq":0,"channels":["x","y","z"]}"#,
                                      #"{"type":"samples","seq":0,"samples":[[1.500,7,8,9]]}"#])
        let address = { (buffer: ByteBuffer) in buffer.withUnsafeReadableBytes { UInt(bitPattern: $0.baseAddress) } }
        #expect(address(outputs[0]) == address(outputs[1]), "both chat clients are written the same bytes")
    }

    /// The review: answers dropped while a client's socket was full cut off a reading client
    /// that pings during a long history catch-up. Now the newest pong and a few answers wait.
    @Test func answersThatCameWhileTheSocketWasFullAreWrittenWhenItTakesMore() throws {
        let stream = testStream()
        let clients = GraphClients(stream: stream)
        let channel = try client(clients, protocols: [BatchMessages.subprotocol])
        _ = try sent(channel)
        channel.isWritable = false
        for index in 0..<100 {
            let ping = WebSocketFrame(fin: true, opcode: .ping, maskKey: nil, data: ByteBuffer(string: "p\(index)"))
            try channel.writeInbound(ping)
        }
        for _ in 0..<20 {
            try channel.writeInbound(WebSocketFrame(fin: true, opcode: .text, data: ByteBuffer(string: #"{"type":"send","line":"?"}"#)))
        }
        #expect(try channel.readOutbound(as: ByteBuffer.self) == nil, "nothing written to a full socket")
        channel.isWritable = true
        channel.pipeline.fireChannelWritabilityChanged()
        var pongs: [String] = []
        var texts: [String] = []
        var bytes = ByteBuffer()
        while var piece = try channel.readOutbound(as: ByteBuffer.self) { bytes.writeBuffer(&piece) }  // headers and payloads apart
        do {
            while bytes.readableBytes > 0 {
                let opcode = bytes.readInteger(as: UInt8.self)! & 0x0F
                var length = Int(bytes.readInteger(as: UInt8.self)!)
                if length == 126 { length = Int(bytes.readInteger(as: UInt16.self)!) }
                let payload = bytes.readString(length: length)!
                if opcode == 0xA { pongs.append(payload) } else { texts.append(payload) }
            }
        }
        #expect(pongs == ["p99"], "one pong, for the newest ping")
        #expect(texts.count == 8 && texts.allSatisfy { $0.contains("send-refused") }, "the last few answers, no more: \(texts.count)")
    }
}
