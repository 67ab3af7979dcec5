import Foundation

/// Random access to a photo's bytes, so header and EXIF readers can look at the start, the end,
/// or (for TIFF) wherever an offset points, without reading a 50 MB file whole.
public protocol ByteSource {
    var size: Int { get }
    /// Up to `count` bytes starting at `offset` (fewer at the end of the data).
    func read(at offset: Int, count: Int) throws -> [UInt8]
}

/// Bytes already in memory.
public struct MemoryBytes: ByteSource {
    public let bytes: [UInt8]
    public init(_ bytes: [UInt8]) { self.bytes = bytes }
    public var size: Int { bytes.count }
    public func read(at offset: Int, count: Int) throws -> [UInt8] {
        guard offset >= 0, offset < bytes.count, count > 0 else { return [] }
        return Array(bytes[offset..<min(bytes.count, offset + count)])
    }
}

/// A file read with pread(2); the descriptor belongs to the caller.
public struct FileBytes: ByteSource {
    public let descriptor: Int32
    public let size: Int

    public init(descriptor: Int32, size: Int) {
        self.descriptor = descriptor
        self.size = size
    }

    public func read(at offset: Int, count: Int) throws -> [UInt8] {
        guard offset >= 0, offset < size, count > 0 else { return [] }
        let wanted = min(count, size - offset)
        var buffer = [UInt8](repeating: 0, count: wanted)
        var done = 0
        while done < wanted {
            let n = buffer.withUnsafeMutableBytes { raw in
                pread(descriptor, raw.baseAddress! + done, wanted - done, off_t(offset + done))
            }
            if n < 0 {
                if errno == EINTR { continue }
                throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO)
            }
            if n == 0 { break }
            done += n
        }
        return done == wanted ? buffer : Array(buffer[..<done])
    }
}
