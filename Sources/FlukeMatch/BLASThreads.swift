import COpenBLAS

/// OpenBLAS thread control. The station runs one photo per worker thread; OpenBLAS's own
/// threads would then compete with the workers for the board's few cores (and spin when
/// another process holds one), so ranking runs on the calling thread.
public enum BLASThreads {
    public static func useOne() { openblas_set_num_threads(1) }
}
