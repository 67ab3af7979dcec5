import Foundation

extension StationConfig {
    /// Provisional individuals made on this station are `P-<station id>-0001`, … so that two
    /// stations' new whales never share an id before the hub assigns global ones.
    public var provisionalIndividualPrefix: String { "P-\(stationID)-" }

    /// Who is reviewing: the `--reviewer` flag, else `[review] reviewer`, else the login name
    /// ($USER, $LOGNAME, then the account of the process: sudo and ssh sessions may lack both).
    public func reviewerName(flag: String?, environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        for candidate in [flag, review.reviewer, environment["USER"], environment["LOGNAME"]] {
            if let name = candidate?.trimmingCharacters(in: .whitespaces), !name.isEmpty { return name }
        }
        if let account = getpwuid(getuid())?.pointee.pw_name { return String(cString: account) }
        return "unknown"
    }
}
