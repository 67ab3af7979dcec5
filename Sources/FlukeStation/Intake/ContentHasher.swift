import Crypto
import FlukeCore
import Foundation

/// SHA-256 of a file's bytes, read in 1 MiB chunks (photos are 5–30 MB; a board has little RAM).
enum ContentHasher {
    static let chunkSize = 1 << 20

    static func hash(descriptor fd: Int32) throws -> (id: PhotoID, bytesRead: Int) {
        var hasher = SHA256()
        var total = 0
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: chunkSize, alignment: 16)
        defer { buffer.deallocate() }
        var offset: off_t = 0
        while true {
            let n = pread(fd, buffer.baseAddress, chunkSize, offset)
            if n < 0 {
                if errno == EINTR { continue }
                throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO)
            }
            if n == 0 { break }
            hasher.update(bufferPointer: UnsafeRawBufferPointer(rebasing: buffer[0..<n]))
            total += n
            offset += off_t(n)
        }
        return (PhotoID(digest: hasher.finalize()), total)
    }

    static func hash(bytes: some DataProtocol) -> PhotoID {
        PhotoID(digest: SHA256.hash(data: bytes))
    }
}
