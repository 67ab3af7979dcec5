/// The kinds of things the station logs, as the journal's `FLUKEWATCH_EVENT` field. Each has a
/// stable `MESSAGE_ID`, explained for operators in `systemd/flukewatch.catalog`
/// (`journalctl -x` shows that text beside the line).
public enum StationEvent: String, CaseIterable, Sendable {
    case ready, stop, reload, intake, duplicate, sidecar, quarantine, sighting, failed, watch, rescan
    case recovery, watchdog, fatal, sync

    /// 128-bit ids, generated once; never change a shipped one.
    public var messageID: String {
        switch self {
        case .ready: "2bbb447805c44e95aa8cff585739ea0e"
        case .stop: "f76fc7c5ce964070b2730b9ef2346bc9"
        case .reload: "44e04f028baa47f6848e95a3af7ec677"
        case .intake: "7634357bde5949eab8907fea842bf7c5"
        case .duplicate: "90fdf2195fb44ebda9fd85dc4efdcf3a"
        case .sidecar: "21b6a68dc81342f49aa136c2e11843c5"
        case .quarantine: "e9032f9d3bfe4718b78961a33da07455"
        case .sighting: "98cd476dadbf4ec89cd28fe1f2877c6d"
        case .failed: "e051eace5ae848db87b0ca4ce60d93bc"
        case .watch: "99ab1bee00374de5937cce42acdf9c1e"
        case .rescan: "d81254a1be7d41a599fd44ffaa41f375"
        case .recovery: "fb8acbbe576a4f6c8d18bb525f5ac42e"
        case .watchdog: "aa3305a88c4c4ac894076871b68258b8"
        case .fatal: "9b7819bd27d74b83984aa843141d8017"
        case .sync: "097b59083cd04f98ab2c4beacdb5454c"
        }
    }
}
