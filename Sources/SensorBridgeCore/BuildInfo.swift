/// The release this binary is, for `--version` and `/metrics`'s `sensorbridge_build_info`.
public enum BuildInfo {
    public static let version = "0.9.0"
}
