import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// One daemon per state directory. A second `flukewatch run` on the same directory (the systemd
/// unit plus one started by hand) would put the first one's photos in hand back in the queue at
/// its start, as if they had been interrupted, and both would process them. The daemon holds an
/// exclusive `flock` on `flukewatch.lock` for as long as it runs; the kernel drops the lock when
/// the process dies, even by SIGKILL or a power cut, so a stale file never blocks a restart.
/// The file holds the holder's pid, for the message the next one prints.
public final class StateDirectoryLock: Sendable {
    /// The open descriptor holding the lock; nil once released.
    private let descriptor: Mutex<Int32?>

    public static func path(inStateDirectory directory: String) -> String {
        (directory as NSString).appendingPathComponent("flukewatch.lock")
    }

    /// Takes the lock, or says who holds it. It tries for up to `patience` seconds, so a
    /// `status` probing the lock at that instant never makes a starting daemon give up.
    public static func acquire(stateDirectory: String, patience: TimeInterval = 1) throws -> StateDirectoryLock {
        let path = path(inStateDirectory: stateDirectory)
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw StateDirectoryLockError.cannotOpen(path: path, reason: String(cString: strerror(errno))) }
        let deadline = Date().addingTimeInterval(patience)
        // errno is read right after each attempt: later calls may overwrite it.
        func attempt() -> Int32 { flock(fd, LOCK_EX | LOCK_NB) == 0 ? 0 : errno }
        var failure = attempt()
        while failure == EWOULDBLOCK, Date() < deadline {
            usleep(50_000)
            failure = attempt()
        }
        guard failure == 0 else {
            let busy = failure == EWOULDBLOCK
            let reason = String(cString: strerror(failure))
            let holder = busy ? Self.pid(in: fd) : nil
            close(fd)
            throw busy ? StateDirectoryLockError.held(stateDirectory: stateDirectory, pid: holder)
                       : StateDirectoryLockError.cannotOpen(path: path, reason: reason)
        }
        let pid = "\(getpid())\n"
        _ = ftruncate(fd, 0)
        _ = pid.withCString { pwrite(fd, $0, strlen($0), 0) }
        return StateDirectoryLock(descriptor: fd)
    }

    private init(descriptor: Int32) {
        self.descriptor = Mutex(descriptor)
    }

    /// Lets the next daemon start. Idempotent.
    public func release() {
        descriptor.withLock { fd in
            guard let open = fd else { return }
            close(open)  // closing the last descriptor drops the flock
            fd = nil
        }
    }

    deinit { release() }

    /// Whether a daemon holds the directory now, for `status`. In JSON (`status --json`'s
    /// `daemon`): `{"running": true, "pid": 1234}`, `pid` null rather than left out when unknown.
    public enum Holder: Equatable, Sendable, Encodable {
        case none
        case daemon(pid: Int32?)

        enum CodingKeys: String, CodingKey { case running, pid }

        public func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            let pid: Int32? = if case .daemon(let pid) = self { pid } else { nil }
            try c.encode(self != .none, forKey: .running)
            try c.encode(pid, forKey: .pid)
        }
    }

    /// Looks without taking: a shared lock held for an instant (which `acquire`'s patience
    /// covers), or none at all when no daemon ever ran here.
    public static func holder(stateDirectory: String) -> Holder {
        let fd = open(path(inStateDirectory: stateDirectory), O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return .none }
        defer { close(fd) }
        if flock(fd, LOCK_SH | LOCK_NB) == 0 { return .none }  // closing drops it
        return .daemon(pid: pid(in: fd))
    }

    private static func pid(in fd: Int32) -> Int32? {
        var buffer = [UInt8](repeating: 0, count: 32)
        let n = pread(fd, &buffer, buffer.count, 0)
        guard n > 0 else { return nil }
        return Int32(String(decoding: buffer.prefix(n), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines))
    }
}

public enum StateDirectoryLockError: Error, CustomStringConvertible, Equatable {
    /// Another daemon holds the directory (pid when its file says).
    case held(stateDirectory: String, pid: Int32?)
    case cannotOpen(path: String, reason: String)

    public var description: String {
        switch self {
        case .held(let directory, let pid):
            "another FlukeWatch daemon\(pid.map { " (pid \($0))" } ?? "") is running on the state directory \(directory); "
                + "two would process the same queue. Stop it first (`systemctl stop flukewatch`), or give this one its own --state-dir"
        case .cannotOpen(let path, let reason):
            "cannot lock \(path): \(reason); make the state directory writable by the flukewatch user"
        }
    }
}
