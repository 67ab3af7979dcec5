import CSystemd
import Foundation

/// The systemd notify protocol, sent from the main process with libsystemd's sd_notify.
/// Outside systemd (no NOTIFY_SOCKET) every call is a harmless no-op.
public struct SystemdNotifier: Sendable {
    public init() {}

    public var isUnderSystemd: Bool { ProcessInfo.processInfo.environment["NOTIFY_SOCKET"] != nil }

    public func send(_ state: String) {
        _ = sd_notify(0, state)
    }

    public func ready(status: String) { send("READY=1\nSTATUS=\(status)") }
    public func status(_ text: String) { send("STATUS=\(text)") }
    public func stopping(status: String) { send("STOPPING=1\nSTATUS=\(status)") }

    /// The watchdog timeout systemd set for this process (WatchdogSec=), or nil when off.
    public var watchdogTimeout: TimeInterval? {
        var usec: UInt64 = 0
        guard sd_watchdog_enabled(0, &usec) > 0, usec > 0 else { return nil }
        return TimeInterval(usec) / 1_000_000
    }
}
