import CMalloc

/// glibc's allocator hands blocks of 128 KiB and more back to the kernel when they are freed
/// and trims its heaps above 128 KiB free: every history query (answers of 100–300 KiB, a
/// minute's decoded blocks) then pays for the same memory again in page faults, about a
/// tenth of its time. Kept up to these sizes, freed memory is reused by the next query;
/// the cost is at most `trim` bytes an arena held after a large query, never at start.
enum MallocTuning {
    static let mmapThreshold: Int32 = 4 << 20
    static let trim: Int32 = 16 << 20

    static func apply() {
        _ = mallopt(M_MMAP_THRESHOLD, mmapThreshold)
        _ = mallopt(M_TRIM_THRESHOLD, trim)
    }
}
