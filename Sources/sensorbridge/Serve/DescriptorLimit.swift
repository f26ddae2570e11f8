#if canImport(Glibc)
import Glibc
#endif

/// The process's limit on open files. Linux starts programs at a soft limit of 1024 while
/// the hard limit is far higher; each client is a descriptor, so the bridge raises its soft
/// limit to the hard one before serving.
enum DescriptorLimit {
    /// Descriptors kept for everything but connections: the device, the recording, the
    /// event loops' own, libraries, a page file being read.
    static let reserve = 64

    /// Raises the soft limit as far as allowed and returns it (the unchanged one if the raise fails).
    static func raiseToHardLimit() -> Int {
        var limits = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limits) == 0 else { return 1024 }
        // An unlimited hard limit cannot be the soft one; 1 << 20 is Linux's usual ceiling (nr_open).
        let wanted = limits.rlim_max == rlim_t.max ? rlim_t(1 << 20) : limits.rlim_max
        if limits.rlim_cur < wanted {
            var raised = limits
            raised.rlim_cur = wanted
            if setrlimit(Int32(RLIMIT_NOFILE.rawValue), &raised) == 0 { return Int(wanted) }
        }
        return Int(limits.rlim_cur)
    }

    /// Connections the bridge can hold at `limit` descriptors.
    static func connections(at limit: Int) -> Int { max(16, limit - reserve) }
}
