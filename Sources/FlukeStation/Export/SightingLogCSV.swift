import FlukeStore
import Foundation

/// The sighting log as a spreadsheet reads it: RFC 4180 CSV, one header line, every sighting in
/// the period whatever its review state (unlike the Darwin Core export, which publishes).
public enum SightingLogCSV {
    static let header = [
        "sighting_id", "sighting_uuid", "captured_at", "capture_time_source", "camera", "latitude", "longitude",
        "decision", "score", "individual_id", "individual_name", "provisional", "review_state", "reviewed_by",
        "reviewed_at", "auto_confirmed", "reject_reason", "top_candidates", "model_version", "photo_path", "photo_sha256",
    ]

    public static func text(_ sightings: [ExportedSighting]) -> String {
        var lines = [header.joined(separator: ",")]
        for s in sightings {
            let fields: [String?] = [
                "\(s.id)", s.uuid, s.capturedAt, s.captureTimeSource, s.camera,
                s.latitude.map { String(format: "%.6f", $0) }, s.longitude.map { String(format: "%.6f", $0) },
                s.decision, s.score.map { String(format: "%.4f", $0) }, s.individualID, s.individualName,
                s.individualID == nil ? nil : (s.individualIsProvisional ? "yes" : "no"),
                s.reviewState.rawValue, s.reviewedBy, s.reviewedAt.map(ReviewTime.iso8601),
                s.autoConfirmed ? "yes" : "no", s.rejectReason,
                s.candidates.map { String(format: "%@ %.3f", $0.individual, $0.score) }.joined(separator: "; "),
                s.modelVersion, s.path, s.photoSHA256,
            ]
            lines.append(fields.map { quoted($0 ?? "") }.joined(separator: ","))
        }
        // CRLF, as RFC 4180 and spreadsheet programs expect.
        return lines.joined(separator: "\r\n") + "\r\n"
    }

    /// Quotes a field when it holds a comma, quote or line break (quotes doubled). Values are
    /// otherwise written as they are: negative coordinates must stay numbers in a spreadsheet.
    static func quoted(_ field: String) -> String {
        guard field.contains(where: { $0 == "," || $0 == "\"" || $0.isNewline }) else { return field }
        return "\"" + field.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}
