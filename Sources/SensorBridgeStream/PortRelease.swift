/// A source that can let go of its port for a while, so another program (an uploader) can
/// open it, and take it back afterwards. The bridge never reopens the port while a release
/// holds: only `reclaim()` or the release running out ends it, so a `release` command that
/// dies cannot leave the port closed for ever, and one that lives renews it.
public protocol PortRelease: Sendable {
    /// Closes the port (now, if open) and keeps it closed for `seconds` more, or until
    /// `reclaim()`; returns once it is closed. A second call while released renews it.
    /// - Parameter by: who asked (an address), for the state shown to viewers and the log.
    func release(forSeconds seconds: Double, by: String) throws
    /// Ends a release: the port is reopened as after a replug (within the reopen interval).
    func reclaim()
}
