/// A span as the status details say it: `0.25 s`, `1 s`, `30 s`.
enum SecondsText {
    static func of(micros: Int64) -> String {
        if micros % 1_000_000 == 0 { return "\(micros / 1_000_000) s" }
        return "\(Double(micros) / 1e6) s"
    }
}
