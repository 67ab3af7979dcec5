import FlukeCore
import Foundation

/// What the kernel told us about the drop folders.
enum DropEvent: Equatable {
    /// A file was closed after writing, or renamed into a watched folder: it is complete.
    case fileFinished(path: String, folder: StationConfig.DropFolder)
    /// A subfolder appeared (a camera card's `DCIM/100XXXXX/`): watch it and scan it.
    case directoryAppeared(path: String, folder: StationConfig.DropFolder)
    /// The kernel's event queue overflowed: events were lost, rescan everything.
    case overflow
    /// A watched folder was removed or moved away.
    case watchRemoved(path: String)
}

/// inotify over the drop folders (and, for recursive ones, every subfolder). Not thread-safe:
/// one intake thread owns it.
final class InotifyWatcher {
    private let fd: Int32
    private var watches: [Int32: (path: String, folder: StationConfig.DropFolder)] = [:]
    private var buffer = [UInt8](repeating: 0, count: 64 * 1024)

    static let fileMask = UInt32(IN_CLOSE_WRITE) | UInt32(IN_MOVED_TO) | UInt32(IN_CREATE)
        | UInt32(IN_DELETE_SELF) | UInt32(IN_MOVE_SELF) | UInt32(IN_ONLYDIR)

    init() throws {
        fd = inotify_init1(Int32(IN_CLOEXEC) | Int32(IN_NONBLOCK))
        guard fd >= 0 else {
            throw IntakeError.inotify("inotify_init1 failed: \(String(cString: strerror(errno))); raise fs.inotify.max_user_instances")
        }
    }

    deinit { close(fd) }

    var watchedPaths: [String] { watches.values.map(\.path).sorted() }

    /// Watches `path` and, when the folder is recursive, every folder below it. Returns the
    /// folders newly watched (so the caller can scan them for files that arrived meanwhile).
    @discardableResult
    func watch(tree path: String, folder: StationConfig.DropFolder) throws -> [String] {
        var added: [String] = []
        try addWatch(path, folder: folder)
        added.append(path)
        guard folder.recursive else { return added }
        for sub in DropFolderScanner.subdirectories(of: path) {
            if (try? addWatch(sub, folder: folder)) != nil { added.append(sub) }
        }
        return added
    }

    private func addWatch(_ path: String, folder: StationConfig.DropFolder) throws {
        let wd = inotify_add_watch(fd, path, Self.fileMask)
        guard wd >= 0 else {
            let reason = errno == ENOSPC
                ? "the kernel's inotify watch limit is reached; raise fs.inotify.max_user_watches (sysctl)"
                : String(cString: strerror(errno))
            throw IntakeError.inotify("cannot watch \(path): \(reason)")
        }
        watches[wd] = (path, folder)
    }

    /// Stops watching every folder at or below `root` (a drop folder removed from the config).
    func unwatch(tree root: String) {
        for (wd, w) in watches where w.path == root || w.path.hasPrefix(root + "/") {
            inotify_rm_watch(fd, wd)
            watches[wd] = nil
        }
    }

    /// Waits up to `timeoutMilliseconds` for events and returns them (empty on timeout).
    func next(timeoutMilliseconds: Int32) -> [DropEvent] {
        var pfd = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        guard poll(&pfd, 1, timeoutMilliseconds) > 0 else { return [] }
        var events: [DropEvent] = []
        while true {
            let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n <= 0 { break }
            events += parse(count: n)
        }
        return events
    }

    private func parse(count n: Int) -> [DropEvent] {
        var events: [DropEvent] = []
        buffer.withUnsafeBytes { raw in
            var offset = 0
            let headerSize = MemoryLayout<inotify_event>.size
            while offset + headerSize <= n {
                let wd = raw.loadUnaligned(fromByteOffset: offset, as: Int32.self)
                let mask = raw.loadUnaligned(fromByteOffset: offset + 4, as: UInt32.self)
                let nameLength = Int(raw.loadUnaligned(fromByteOffset: offset + 12, as: UInt32.self))
                let nameBytes = raw[(offset + headerSize)..<(offset + headerSize + nameLength)]
                let name = String(decoding: nameBytes.prefix { $0 != 0 }, as: UTF8.self)
                offset += headerSize + nameLength

                if mask & UInt32(IN_Q_OVERFLOW) != 0 { events.append(.overflow); continue }
                guard let watch = watches[wd] else { continue }
                if mask & UInt32(IN_IGNORED) != 0 {
                    watches[wd] = nil
                    continue
                }
                if mask & (UInt32(IN_DELETE_SELF) | UInt32(IN_MOVE_SELF)) != 0 {
                    events.append(.watchRemoved(path: watch.path))
                    continue
                }
                let path = (watch.path as NSString).appendingPathComponent(name)
                let isDirectory = mask & UInt32(IN_ISDIR) != 0
                if isDirectory {
                    if watch.folder.recursive, mask & (UInt32(IN_CREATE) | UInt32(IN_MOVED_TO)) != 0 {
                        events.append(.directoryAppeared(path: path, folder: watch.folder))
                    }
                } else if mask & (UInt32(IN_CLOSE_WRITE) | UInt32(IN_MOVED_TO)) != 0 {
                    events.append(.fileFinished(path: path, folder: watch.folder))
                }
            }
        }
        return events
    }
}

public enum IntakeError: Error, CustomStringConvertible {
    case inotify(String)
    case dropFolderMissing(String)

    public var description: String {
        switch self {
        case .inotify(let m): m
        case .dropFolderMissing(let path):
            "the drop folder \(path) does not exist or is not a folder; create it or fix the [[drop_folder]] path in the config"
        }
    }
}
