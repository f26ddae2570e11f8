/// The default stream's encoding of a sample, `[t, v1, v2, ...]`: the shape the original
/// Python bridge sent, with numbers instead of strings, so a page that reads
/// `values[1]`, `values[2]`, `values[3]` works unchanged. The batched stream reuses these
/// bytes as its array elements, so each sample is encoded once.
public enum SampleJSON {
    public static func encode(_ sample: Sample) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(16 + sample.values.count * 8)
        append(sample, to: &out)
        return out
    }

    /// Appends the encoding to `out`: a batch is built without a buffer per sample.
    public static func append(_ sample: Sample, to out: inout [UInt8]) {
        out.append(UInt8(ascii: "["))
        JSONText.appendMilliseconds(fromMicros: sample.timeMicros, to: &out)
        for value in sample.values {
            out.append(UInt8(ascii: ","))
            JSONText.appendNumber(value, to: &out)
        }
        out.append(UInt8(ascii: "]"))
    }
}
