import FlukeCore
import Foundation

/// Whether the pipeline is making progress, which is what the systemd watchdog pings certify.
///
/// A worker that has been on one photo for longer than the watchdog timeout is stuck (a decoder
/// hang, a dead disk): the pings stop and systemd restarts the station; the photo is re-queued
/// at start and, after three interruptions, set aside. The intake thread must also be alive.
public enum PipelineHealth: Equatable, Sendable {
    case healthy
    case stuck(String)

    public struct Snapshot: Sendable {
        public var busy: [(since: Date, photo: PhotoID?)?]
        public var intakeHeartbeat: Date

        public init(busy: [(since: Date, photo: PhotoID?)?], intakeHeartbeat: Date) {
            self.busy = busy
            self.intakeHeartbeat = intakeHeartbeat
        }
    }

    public static func assess(_ s: Snapshot, now: Date, timeout: TimeInterval) -> PipelineHealth {
        for (index, work) in s.busy.enumerated() {
            guard let work else { continue }
            let seconds = now.timeIntervalSince(work.since)
            if seconds > timeout {
                let photo = work.photo.map { "photo \($0.short)" } ?? "a photo"
                return .stuck("worker \(index) has been on \(photo) for \(Int(seconds)) s")
            }
        }
        let quiet = now.timeIntervalSince(s.intakeHeartbeat)
        if quiet > timeout {
            return .stuck("the intake thread has not moved for \(Int(quiet)) s")
        }
        return .healthy
    }
}
