import CFlukeVisionShim

/// glibc malloc settings for the daemon, which decodes photos of several megabytes for weeks.
/// Measured on the 10 000-photo catalog benchmark (flukewatch-bench identify): resident memory at
/// idle 121 → 105 MiB.
public enum ProcessMemory {
    /// Call once, early, before the worker threads start.
    public static func tuneForTheDaemon() {
        // glibc raises its mmap threshold each time a large block is freed, so after the first
        // photo every decoded image and pixel buffer (1-10 MB) comes from the heap and its pages
        // stay resident once freed. A fixed 1 MiB threshold gives them straight back to the
        // system. One arena per thread that ever allocated multiplies the heap's high-water
        // mark; workers spend their time in OpenCV and XNNPACK, not in malloc: two arenas suffice.
        fw_tune_malloc(1 << 20, 2)
    }
}
