import NIOCore

/// What one turn of a loop read from the frame logs, shared by the clients at the same place.
/// Most clients of a loop wait at the same chunk, so the log is read (a lock and an array of
/// chunks) and the chunks joined into one buffer once a turn, not once a client: a client
/// then costs one write through the pipeline for everything it is owed, not one a chunk (at
/// 1 kHz a chunk is one gathering, 8 ms by default, and a client written every 40 ms owes five).
/// Loop-bound: made, used and emptied on its `LoopFanout`'s loop, one turn at a time.
final class TurnReads {
    struct Read {
        let chunks: [FrameLog.Chunk]
        /// The chunks' bytes back to back: the first chunk's own buffer when there is one.
        let joined: ByteBuffer
        let count: FrameCount
        /// The chunks' samples together (state changes have none).
        let samples: Int
    }

    private struct Key: Hashable {
        let log: ObjectIdentifier
        let from: UInt64
        let maxSamples: Int
    }

    private var reads: [Key: Read] = [:]
    /// Whether this turn encodes the stream's newest events (`FrameLog.read(catchingUp:)`):
    /// a wake-up's pass does, and a later turn when no wake-up is pending.
    private(set) var catchesUp = true

    /// `log.read(from:maxSamples:catchingUp:)`, once a turn for each place. A read taken earlier in the
    /// turn may end before chunks added since: the client gets those next turn, never fewer.
    func read(_ log: FrameLog, from: UInt64, maxSamples: Int) -> Read {
        let key = Key(log: ObjectIdentifier(log), from: from, maxSamples: maxSamples)
        if let read = reads[key] { return read }
        let chunks = log.read(from: from, maxSamples: maxSamples, catchingUp: catchesUp)
        let read = Self.join(chunks)
        reads[key] = read
        return read
    }

    /// Forgets what the last turn read (the next turn reads the logs again).
    func begin(catchingUp: Bool) {
        catchesUp = catchingUp
        if !reads.isEmpty { reads.removeAll(keepingCapacity: true) }
    }

    static func join(_ chunks: [FrameLog.Chunk]) -> Read {
        var count = FrameCount()
        var size = 0
        var withBytes = 0
        var samples = 0
        for chunk in chunks {
            samples += Int(chunk.samples)
            count.frames += chunk.count.frames
            count.payloadBytes += chunk.count.payloadBytes
            size += chunk.bytes.readableBytes
            if chunk.bytes.readableBytes > 0 { withBytes += 1 }
        }
        guard withBytes > 1 else {
            let only = chunks.first { $0.bytes.readableBytes > 0 }?.bytes ?? ByteBuffer()
            return Read(chunks: chunks, joined: only, count: count, samples: samples)
        }
        var joined = ByteBufferAllocator().buffer(capacity: size)
        for chunk in chunks {
            var bytes = chunk.bytes
            joined.writeBuffer(&bytes)
        }
        return Read(chunks: chunks, joined: joined, count: count, samples: samples)
    }
}
