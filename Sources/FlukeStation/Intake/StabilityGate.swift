import FlukeCore
import Foundation

/// Holds files that may still be written until their size and modification time have stood
/// still long enough.
///
/// Even a close-write event is only a hint: a copier may create a file, close it, and reopen it
/// to write (an empty close-write first), or write one card's file in several opens. So every
/// file waits for a quiet period: short (`eventQuiet`) after the kernel reports a close or a
/// rename, the full `settle` time for files found by a rescan, and always the full `settle` time
/// for an empty file (more likely about to be written than a photo).
struct StabilityGate {
    struct Pending {
        var camera: CameraLabel
        var snapshot: FileSnapshot
        var quiet: TimeInterval
    }

    let settle: TimeInterval
    let eventQuiet: TimeInterval
    private(set) var pending: [String: Pending] = [:]

    init(settle: TimeInterval) {
        self.settle = settle
        self.eventQuiet = min(settle, 0.5)
    }

    var isEmpty: Bool { pending.isEmpty }

    func quiet(for snapshot: FileSnapshot, fromEvent: Bool) -> TimeInterval {
        snapshot.byteSize == 0 || !fromEvent ? settle : eventQuiet
    }

    /// True when the file has not changed for `quiet` seconds.
    func isSettled(_ snapshot: FileSnapshot, quiet: TimeInterval, now: Date = Date()) -> Bool {
        now.timeIntervalSince(snapshot.modified) >= quiet
    }

    mutating func hold(_ path: String, camera: CameraLabel, snapshot: FileSnapshot, quiet: TimeInterval) {
        pending[path] = Pending(camera: camera, snapshot: snapshot, quiet: quiet)
    }

    /// Files that have settled since they were held; vanished files are dropped.
    mutating func due(now: Date = Date()) -> [(path: String, camera: CameraLabel)] {
        var ready: [(String, CameraLabel)] = []
        for (path, entry) in pending {
            guard let current = FileSnapshot.of(path), current.isRegularFile else {
                pending[path] = nil
                continue
            }
            if current != entry.snapshot {
                let required = max(entry.quiet, quiet(for: current, fromEvent: true))
                pending[path] = Pending(camera: entry.camera, snapshot: current, quiet: required)
            } else if isSettled(current, quiet: entry.quiet, now: now) {
                pending[path] = nil
                ready.append((path, entry.camera))
            }
        }
        return ready.sorted { $0.0 < $1.0 }
    }
}
