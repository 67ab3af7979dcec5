import FlukeCore
import FlukeStore
import Foundation

/// How values read on the review page.
enum ReviewFormat {
    static func score(_ s: Double?) -> String { s.map { String(format: "%.3f", $0) } ?? "–" }

    /// Bar width in percent for a cosine score (negative scores show an empty bar).
    static func percent(_ s: Double) -> String { String(format: "%.0f%%", max(0, min(1, s)) * 100) }

    private static let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

    /// `2026-07-14T09:00:00.25-03:00` → `14 Jul 2026 09:00:00 UTC−03:00`: the camera's local
    /// time as recorded, since that is what the crew's notes say.
    static func captureTime(_ iso: String) -> String {
        let (day, clock, zone) = split(iso)
        return "\(day) \(clock)\(zone.isEmpty ? "" : " \(zone)")"
    }

    /// The same, as (`14 Jul 2026 09:00:00`, `UTC−03:00`) for a narrow column.
    static func captureTimeParts(_ iso: String) -> (String, String) {
        let (day, clock, zone) = split(iso)
        return ("\(day) \(clock)", zone)
    }

    /// `09:00`: the time of day only, for the encounter strip and lists.
    static func clock(_ iso: String) -> String { String(split(iso).clock.prefix(5)) }

    static func day(_ iso: String) -> String { split(iso).day }

    private static func split(_ iso: String) -> (day: String, clock: String, zone: String) {
        let parts = iso.split(separator: "T", maxSplits: 1)
        guard parts.count == 2 else { return (iso, "", "") }
        let d = parts[0].split(separator: "-")
        var day = String(parts[0])
        if d.count == 3, let m = Int(d[1]), (1...12).contains(m) { day = "\(Int(d[2]) ?? 0) \(months[m - 1]) \(d[0])" }
        var rest = String(parts[1])
        var zone = ""
        if rest.hasSuffix("Z") {
            rest.removeLast()
            zone = "UTC"
        } else if let sign = rest.lastIndex(where: { $0 == "+" || $0 == "-" }) {
            zone = "UTC" + rest[sign...].replacingOccurrences(of: "-", with: "−")
            rest = String(rest[..<sign])
        }
        if let dot = rest.firstIndex(of: ".") { rest = String(rest[..<dot]) }
        return (day, rest, zone)
    }

    static func position(_ d: SightingPhotoDetails?) -> String? {
        guard let lat = d?.latitude, let lon = d?.longitude else { return nil }
        return String(format: "%.4f° %@, %.4f° %@", abs(lat), lat < 0 ? "S" : "N", abs(lon), lon < 0 ? "W" : "E")
    }

    static func cameraModel(_ d: SightingPhotoDetails?) -> String? {
        let parts = [d?.cameraMake, d?.cameraModel].compactMap { $0?.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        guard !parts.isEmpty else { return nil }
        // Makers often repeat themselves ("Canon" "Canon EOS R5").
        if parts.count == 2, parts[1].lowercased().hasPrefix(parts[0].lowercased()) { return parts[1] }
        return parts.joined(separator: " ")
    }

    static func individual(_ id: String?, _ name: String?) -> String {
        guard let id else { return "no individual" }
        return name.map { "\(id) (\($0))" } ?? id
    }

    /// One sentence for what a decision did, for the banner after it.
    static func decision(_ r: ReviewDecisionRecord, names: [String: String]) -> String {
        let who = individual(r.after.individualID, r.after.individualID.flatMap { names[$0] })
        switch r.action {
        case .confirm: return "Sighting #\(r.sightingID) confirmed as \(who) by \(r.reviewer)."
        case .reassign: return "Sighting #\(r.sightingID) assigned to \(who) by \(r.reviewer)."
        case .newIndividual: return "Sighting #\(r.sightingID) marked as a new individual, provisional \(who), by \(r.reviewer)."
        case .reject: return "Sighting #\(r.sightingID) rejected (\(r.after.rejectReason ?? "")) by \(r.reviewer)."
        case .undo: return "Last decision on sighting #\(r.sightingID) undone by \(r.reviewer); it is \(r.after.state == .open ? "open again" : r.after.state.rawValue)."
        }
    }
}
