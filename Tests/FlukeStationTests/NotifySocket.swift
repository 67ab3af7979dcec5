import Foundation

/// A real AF_UNIX datagram socket standing in for systemd's notify socket: the daemon's
/// sd_notify calls land here, and the test reads what it said and when.
final class NotifySocket: @unchecked Sendable {
    let path: String
    private let fd: Int32
    private let lock = NSLock()
    private var received: [(at: Date, text: String)] = []
    private var open = true
    private let done = DispatchSemaphore(value: 0)

    init(directory: URL) throws {
        path = directory.appendingPathComponent("notify.sock").path
        fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue), 0)
        guard fd >= 0 else { throw POSIXError(.EIO) }
        var addr = sockaddr_un()
        addr.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &addr.sun_path) { raw in
            let bytes = Array(path.utf8)
            precondition(bytes.count < raw.count, "socket path too long")
            raw.copyBytes(from: bytes)
        }
        let bound = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard bound == 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
        var timeout = timeval(tv_sec: 0, tv_usec: 200_000)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        Thread.detachNewThread { [self] in
            var buffer = [UInt8](repeating: 0, count: 4096)
            while lock.withLock({ open }) {
                let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
                if n > 0 {
                    let text = String(decoding: buffer[0..<n], as: UTF8.self)
                    lock.withLock { received.append((Date(), text)) }
                }
            }
            done.signal()
        }
    }

    func close() {
        lock.withLock { open = false }
        done.wait()
        _ = Glibc.close(fd)
        unlink(path)
    }

    var messages: [(at: Date, text: String)] { lock.withLock { received } }

    func count(containing text: String, since: Date = .distantPast) -> Int {
        messages.filter { $0.at >= since && $0.text.split(separator: "\n").contains(Substring(text)) }.count
    }

    func lastStatus() -> String? {
        messages.reversed().lazy.compactMap { m in
            m.text.split(separator: "\n").first { $0.hasPrefix("STATUS=") }.map { String($0.dropFirst(7)) }
        }.first
    }
}
