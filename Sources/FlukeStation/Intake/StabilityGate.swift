import FlukeCore
import Foundation

/// Holds files that may still be written (found by a rescan while fresh, or changing while they
/// were hashed) until their size and modification time have stood still for `settle` seconds.
struct StabilityGate {
    struct Pending {
        var camera: CameraLabel
        var snapshot: FileSnapshot
    }

    let settle: TimeInterval
    private(set) var pending: [String: Pending] = [:]

    init(settle: TimeInterval) { self.settle = settle }

    var isEmpty: Bool { pending.isEmpty }

    /// True when the file has not changed for `settle` seconds already.
    func isSettled(_ snapshot: FileSnapshot, now: Date = Date()) -> Bool {
        now.timeIntervalSince(snapshot.modified) >= settle
    }

    mutating func hold(_ path: String, camera: CameraLabel, snapshot: FileSnapshot) {
        pending[path] = Pending(camera: camera, snapshot: snapshot)
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
                pending[path]?.snapshot = current
            } else if isSettled(current, now: now) {
                pending[path] = nil
                ready.append((path, entry.camera))
            }
        }
        return ready.sorted { $0.0 < $1.0 }
    }
}
