import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// A TCP proxy on 127.0.0.1 between a station and a hub that passes bytes through, or breaks
/// the link the ways satellite links break: the connection cut after N bytes of the request or
/// of the response, or a response that never comes (the client's timeout must fire).
///
/// Plain blocking sockets and two threads per connection: the proxy must not share an event
/// loop (or anything else) with the code under test, and at test scale threads are simplest.
///
/// A fault waits for its `trigger`: a byte string in the client's stream (for example
/// "POST /v1/stations/" to hit only batches). Its byte counts start there, so "the response
/// cut after 0 bytes" means the hub got the whole request, committed it, and its answer was lost.
/// HTTP/1.1 clients do not pipeline, so the first server bytes after the trigger are its answer.
final class FaultProxy: @unchecked Sendable {
    enum Fault: Sendable, Equatable {
        /// Forward this many request bytes (from the trigger on), then cut both sides.
        case cutRequest(afterBytes: Int)
        /// Forward the whole request; forward this many response bytes, then cut both sides.
        case cutResponse(afterBytes: Int)
        /// Forward the request; swallow every response byte, keep the connection open.
        case stallResponse
    }

    private struct State {
        var fault: Fault?
        var trigger = Data()
        /// Connections the fault may still hit; nil: every one until `heal()`.
        var remaining: Int?
        var fired = 0
        var connections = 0
        /// Sockets of connections a fault hit and that are still open (heal cuts them).
        var faulted: [Int32] = []
    }

    let upstreamPort: UInt16
    private(set) var port: UInt16 = 0
    private let listener: Int32
    private let state = Mutex(State())

    /// Listens on an ephemeral port of 127.0.0.1 and forwards to `upstreamPort` there.
    init(upstreamPort: Int) throws {
        self.upstreamPort = UInt16(upstreamPort)
        listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard listener >= 0 else { throw ProxyError("socket: \(String(cString: strerror(errno)))") }
        var address = Self.loopback(port: 0)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(listener, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0, listen(listener, 64) == 0 else { throw ProxyError("bind/listen: \(String(cString: strerror(errno)))") }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(listener, $0, &length) }
        }
        port = UInt16(bigEndian: address.sin_port)
        let thread = Thread { [self] in acceptLoop() }
        thread.start()
    }

    var url: String { "http://127.0.0.1:\(port)" }

    /// Arms a fault for the next `times` connections that reach `trigger` (nil: all of them).
    func inject(_ fault: Fault, trigger: String = "", times: Int? = 1) {
        state.withLock {
            $0.fault = fault
            $0.trigger = Data(trigger.utf8)
            $0.remaining = times
        }
    }

    /// Back to passing everything through; stalled connections are cut so their clients go on.
    func heal() {
        state.withLock { s in
            s.fault = nil
            // Under the lock: a socket in the list is not closed yet, so its number is not reused.
            for fd in s.faulted { shutdown(fd, Int32(SHUT_RDWR)) }
        }
    }

    /// How often a fault actually hit a connection (a test that injected one asserts this).
    var fired: Int { state.withLock { $0.fired } }
    var connections: Int { state.withLock { $0.connections } }

    func stop() {
        heal()
        shutdown(listener, Int32(SHUT_RDWR))
        close(listener)
    }

    // MARK: Plumbing

    private func acceptLoop() {
        while true {
            let client = accept(listener, nil, nil)
            if client < 0 {
                if errno == EINTR { continue }
                return   // the listener was closed by stop()
            }
            let upstream = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            var address = Self.loopback(port: upstreamPort)
            let connected = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(upstream, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
            guard connected == 0 else {
                // The hub is down: the client sees a reset, as it would on a real link.
                close(upstream)
                close(client)
                continue
            }
            let connection = Connection(client: client, upstream: upstream, proxy: self)
            state.withLock { $0.connections += 1 }
            Thread { connection.pumpRequest() }.start()
            Thread { connection.pumpResponse() }.start()
        }
    }

    fileprivate func closed(_ fds: [Int32]) {
        state.withLock { s in
            s.faulted.removeAll { fds.contains($0) }
            for fd in fds { close(fd) }
        }
    }

    /// Called when a connection's request stream reaches the trigger: the fault it gets, if any.
    fileprivate func claimFault(fds: [Int32]) -> Fault? {
        state.withLock { s in
            guard let fault = s.fault else { return nil }
            if let r = s.remaining {
                guard r > 0 else { return nil }
                s.remaining = r - 1
            }
            s.fired += 1
            s.faulted += fds
            return fault
        }
    }

    fileprivate var trigger: Data { state.withLock { $0.trigger } }
    fileprivate var isHealed: Bool { state.withLock { $0.fault == nil } }

    static func loopback(port: UInt16) -> sockaddr_in {
        var a = sockaddr_in()
        a.sin_family = sa_family_t(AF_INET)
        a.sin_port = port.bigEndian
        a.sin_addr.s_addr = inet_addr("127.0.0.1")
        return a
    }
}

struct ProxyError: Error, CustomStringConvertible {
    let description: String
    init(_ d: String) { description = d }
}

/// One client connection and its upstream twin; each direction pumped by its own thread.
private final class Connection: @unchecked Sendable {
    let client: Int32
    let upstream: Int32
    unowned let proxy: FaultProxy
    private let lock = NSLock()
    private var fault: FaultProxy.Fault?
    /// Response bytes forwarded since the fault fired.
    private var responseBytes = 0
    private var finished = 0

    init(client: Int32, upstream: Int32, proxy: FaultProxy) {
        self.client = client
        self.upstream = upstream
        self.proxy = proxy
    }

    func pumpRequest() {
        let trigger = proxy.trigger
        var seen = Data()            // the stream's tail, long enough to find a trigger split across reads
        var sinceTrigger: Int?       // request bytes forwarded since the trigger (nil: not reached)
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        loop: while true {
            let n = recv(client, &buffer, buffer.count, 0)
            if n <= 0 { break }
            let chunk = Data(buffer[0..<n])
            if sinceTrigger == nil, currentFault() == nil {
                seen.append(chunk)
                if let range = trigger.isEmpty ? Optional(seen.startIndex..<seen.startIndex) : seen.range(of: trigger) {
                    let fault = proxy.claimFault(fds: [client, upstream])
                    setFault(fault)
                    if fault != nil {
                        // Count from the trigger: only the bytes at and after it belong to the faulted
                        // request (`before` is negative when the trigger began in an earlier read).
                        let before = seen.distance(from: seen.startIndex, to: range.lowerBound) - (seen.count - chunk.count)
                        sinceTrigger = -before
                    }
                }
                // Keep less than a whole trigger, so the same one is never found twice.
                seen = Data(seen.suffix(max(0, trigger.count - 1)))
            }
            if case .cutRequest(let limit)? = currentFault(), let already = sinceTrigger {
                let room = limit - already
                if room < chunk.count {
                    // The hub gets exactly `limit` bytes of the request, then the connection dies.
                    if room > 0 { _ = send(all: chunk.prefix(room), to: upstream) }
                    break loop
                }
                sinceTrigger = already + chunk.count
            }
            if !send(all: chunk, to: upstream) { break }
        }
        done()
    }

    func pumpResponse() {
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            let n = recv(upstream, &buffer, buffer.count, 0)
            if n <= 0 { break }
            var chunk = Data(buffer[0..<n])
            switch currentFault() {
            case .stallResponse?:
                continue                      // swallowed: the client waits until its timeout
            case .cutResponse(let limit)?:
                let room = lock.withLock { limit - responseBytes }
                if room < chunk.count {
                    chunk = chunk.prefix(max(0, room))
                    if !chunk.isEmpty { _ = send(all: chunk, to: client) }
                    done()
                    return
                }
                lock.withLock { responseBytes += chunk.count }
            default:
                break
            }
            if !send(all: chunk, to: client) { break }
        }
        done()
    }

    private func currentFault() -> FaultProxy.Fault? {
        // A heal lets a connection that has not been cut yet carry on normally.
        proxy.isHealed ? nil : lock.withLock { fault }
    }

    private func setFault(_ f: FaultProxy.Fault?) { lock.withLock { fault = f } }

    /// Either direction ending ends both (shutdown wakes the other thread); the second closes.
    private func done() {
        shutdown(client, Int32(SHUT_RDWR))
        shutdown(upstream, Int32(SHUT_RDWR))
        let last = lock.withLock { finished += 1; return finished == 2 }
        if last { proxy.closed([client, upstream]) }
    }

    private func send(all data: Data, to fd: Int32) -> Bool {
        data.withUnsafeBytes { raw in
            var offset = 0
            while offset < raw.count {
                // MSG_NOSIGNAL: a peer that hung up must not SIGPIPE the test process.
                let n = Glibc.send(fd, raw.baseAddress! + offset, raw.count - offset, Int32(MSG_NOSIGNAL))
                if n <= 0 { return false }
                offset += n
            }
            return true
        }
    }
}
