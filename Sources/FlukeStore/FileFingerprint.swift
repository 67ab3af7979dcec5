/// What the kernel says about a file at the moment its bytes were hashed: which file it is
/// (device and inode), its size and modification time, and its change time (ctime).
///
/// Why record it: processing re-reads a photo that intake hashed minutes or days earlier and must
/// not decode different bytes under the same identity. ctime is set by the kernel on every write
/// and metadata change and cannot be set by a user program (unlike mtime, which `touch -d` or
/// `cp -p` restore), so when all five values are unchanged the bytes are the ones intake hashed
/// and the second SHA-256 can be skipped. Anything else (a change, another file renamed into the
/// place, a file system that reports no ctime) falls back to hashing.
public struct FileFingerprint: Sendable, Equatable {
    public var device: UInt64
    public var inode: UInt64
    public var byteSize: Int
    public var mtimeNanoseconds: Int64
    public var ctimeNanoseconds: Int64

    public init(device: UInt64, inode: UInt64, byteSize: Int, mtimeNanoseconds: Int64, ctimeNanoseconds: Int64) {
        self.device = device
        self.inode = inode
        self.byteSize = byteSize
        self.mtimeNanoseconds = mtimeNanoseconds
        self.ctimeNanoseconds = ctimeNanoseconds
    }

    /// Whether it can vouch for unchanged bytes at all (a zero ctime means the file system keeps none).
    public var isTrustworthy: Bool { ctimeNanoseconds != 0 && inode != 0 }
}
