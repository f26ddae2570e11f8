#if canImport(Glibc)
import Glibc
#endif
import SensorBridgeCore

/// Writes every line the source delivers to a recording file (RecordingFormat), so a
/// session with a real board can be replayed later, by a person or by the tests.
final class Recorder {
    private let file: UnsafeMutablePointer<FILE>
    private let source: String
    private var startMicros: Int64?
    private var lastFlushMicros: Int64 = 0

    init(path: String, source: String) throws {
        guard let file = fopen(path, "w") else {
            throw CommandError("cannot write the recording \(path): \(String(cString: strerror(errno)))")
        }
        self.file = file
        self.source = source
    }

    /// Records `line` received at `receivedMicros`. Called on the source's thread only.
    func record(_ line: [UInt8], receivedMicros: Int64) {
        if startMicros == nil {
            startMicros = receivedMicros
            fputs(RecordingFormat.header(startedMicros: receivedMicros, source: source), file)
        }
        let entry = RecordingFormat.entry(offsetMicros: receivedMicros - startMicros!, line: line)
        _ = entry.withUnsafeBytes { fwrite($0.baseAddress, 1, $0.count, file) }
        // Flush a few times a second: little is lost if the bridge is killed, without a syscall per line.
        if receivedMicros - lastFlushMicros > 200_000 {
            fflush(file)
            lastFlushMicros = receivedMicros
        }
    }

    func close() {
        fflush(file)
        fclose(file)
    }
}
