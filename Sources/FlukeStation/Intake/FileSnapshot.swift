import FlukeStore
import Foundation

/// Size and modification time of a file, as lstat(2) reports them.
struct FileSnapshot: Equatable, Sendable {
    var isRegularFile: Bool
    var isDirectory: Bool
    var byteSize: Int
    var mtimeNanoseconds: Int64

    /// Nil when the path does not exist (or vanished).
    static func of(_ path: String) -> FileSnapshot? {
        var st = stat()
        guard lstat(path, &st) == 0 else { return nil }
        return FileSnapshot(st)
    }

    static func of(descriptor: Int32) -> FileSnapshot? {
        var st = stat()
        guard fstat(descriptor, &st) == 0 else { return nil }
        return FileSnapshot(st)
    }

    init(_ st: stat) {
        let kind = st.st_mode & S_IFMT
        isRegularFile = kind == S_IFREG
        isDirectory = kind == S_IFDIR
        byteSize = Int(st.st_size)
        mtimeNanoseconds = Int64(st.st_mtim.tv_sec) * 1_000_000_000 + Int64(st.st_mtim.tv_nsec)
    }

    init(isRegularFile: Bool, isDirectory: Bool, byteSize: Int, mtimeNanoseconds: Int64) {
        self.isRegularFile = isRegularFile
        self.isDirectory = isDirectory
        self.byteSize = byteSize
        self.mtimeNanoseconds = mtimeNanoseconds
    }

    var modified: Date { Date(timeIntervalSince1970: Double(mtimeNanoseconds) / 1e9) }
}

extension FileFingerprint {
    /// The open file's fingerprint (fstat), nil when the call fails.
    static func of(descriptor fd: Int32) -> FileFingerprint? {
        var st = stat()
        guard fstat(fd, &st) == 0 else { return nil }
        return FileFingerprint(device: UInt64(st.st_dev), inode: UInt64(st.st_ino), byteSize: Int(st.st_size),
                               mtimeNanoseconds: Int64(st.st_mtim.tv_sec) * 1_000_000_000 + Int64(st.st_mtim.tv_nsec),
                               ctimeNanoseconds: Int64(st.st_ctim.tv_sec) * 1_000_000_000 + Int64(st.st_ctim.tv_nsec))
    }
}
