/// The release this binary is, for `--version` and `/metrics`'s `sensorbridge_build_info`.
enum BuildInfo {
    static let version = "0.9.0"
}
