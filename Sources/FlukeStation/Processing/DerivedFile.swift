import Foundation

/// Writes a file derived from a photo (thumbnail, fluke crop) under the state directory so that
/// a crash never leaves half of one: a temporary file beside it, then rename(2).
///
/// Plain system calls rather than `Data.write(options: .atomic)` + `createDirectory`: those cost
/// about a millisecond per file in path handling and stat calls, a visible share of a photo's
/// processing budget. The folder is created only when the first attempt finds it missing. No
/// fsync, as before: a derived file lost to a power cut is remade (the review page re-cuts crops
/// from the original; a thumbnail-less sighting is still a sighting).
enum DerivedFile {
    static func store(_ bytes: [UInt8], at path: String) throws {
        let temporary = "\(path).tmp-\(getpid())"
        var fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        if fd < 0, errno == ENOENT {
            try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent,
                                                    withIntermediateDirectories: true)
            fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        }
        guard fd >= 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
        var done = 0
        while done < bytes.count {
            let n = bytes.withUnsafeBytes { write(fd, $0.baseAddress! + done, bytes.count - done) }
            if n < 0, errno == EINTR { continue }
            guard n > 0 else {
                let code = POSIXErrorCode(rawValue: errno) ?? .EIO
                close(fd)
                unlink(temporary)
                throw POSIXError(code)
            }
            done += n
        }
        close(fd)
        guard rename(temporary, path) == 0 else {
            let code = POSIXErrorCode(rawValue: errno) ?? .EIO
            unlink(temporary)
            throw POSIXError(code)
        }
    }
}
