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
}
