import FlukeCore
import FlukeStore
import Foundation

/// How one sighting becomes one Darwin Core occurrence: the core file's columns, each a term of
/// http://rs.tdwg.org/dwc/terms/ and the value it takes. meta.xml is generated from this same
/// list, so a column and its declaration can never drift apart.
enum DarwinCoreOccurrence {
    static let namespace = "http://rs.tdwg.org/dwc/terms/"
    static let scientificName = "Megaptera novaeangliae"
    static let scientificNameAuthorship = "(Borowski, 1781)"
    /// The species in the World Register of Marine Species.
    static let scientificNameID = "urn:lsid:marinespecies.org:taxname:137092"

    struct Column: Sendable {
        var term: String
        var value: @Sendable (ExportedSighting, Context) -> String?
    }

    /// What a row needs beside its sighting.
    struct Context: Sendable {
        var stationName: String
    }

    /// The first column is the record id (meta.xml `<id index="0"/>`).
    static let columns: [Column] = [
        Column(term: "occurrenceID") { s, _ in "urn:uuid:\(s.uuid)" },
        Column(term: "basisOfRecord") { s, _ in confirmedByPerson(s) ? "HumanObservation" : "MachineObservation" },
        Column(term: "occurrenceStatus") { _, _ in "present" },
        Column(term: "individualCount") { _, _ in "1" },
        Column(term: "eventDate") { s, _ in s.capturedAt },
        Column(term: "decimalLatitude") { s, _ in s.latitude.map { String(format: "%.6f", $0) } },
        Column(term: "decimalLongitude") { s, _ in s.longitude.map { String(format: "%.6f", $0) } },
        Column(term: "geodeticDatum") { s, _ in s.latitude == nil ? nil : "EPSG:4326" },
        // Cameras' EXIF rarely carries a GPS error estimate and the station does not record one:
        // the column is declared so publishers see it is unknown rather than forgotten.
        Column(term: "coordinateUncertaintyInMeters") { _, _ in nil },
        Column(term: "scientificName") { _, _ in scientificName },
        Column(term: "scientificNameAuthorship") { _, _ in scientificNameAuthorship },
        Column(term: "scientificNameID") { _, _ in scientificNameID },
        Column(term: "kingdom") { _, _ in "Animalia" },
        Column(term: "taxonRank") { _, _ in "species" },
        Column(term: "vernacularName") { _, _ in "humpback whale" },
        Column(term: "organismID") { s, _ in publishedIndividual(s) },
        Column(term: "organismName") { s, _ in publishedIndividual(s) == nil ? nil : s.individualName },
        Column(term: "associatedMedia") { s, _ in (s.path as NSString).lastPathComponent },
        Column(term: "identifiedBy") { s, _ in
            confirmedByPerson(s) ? s.reviewedBy : "FlukeWatch" + (s.modelVersion.map { " (\($0))" } ?? "")
        },
        Column(term: "dateIdentified") { s, _ in ReviewTime.iso8601(s.reviewedAt ?? s.recordedAt) },
        Column(term: "identificationVerificationStatus") { s, _ in
            s.reviewState != .confirmed ? "unverified" : s.autoConfirmed ? "automatically confirmed" : "verified"
        },
        Column(term: "identificationRemarks") { s, _ in identificationRemarks(s) },
        Column(term: "occurrenceRemarks") { s, _ in occurrenceRemarks(s) },
        Column(term: "datasetName") { _, c in c.stationName },
    ]

    /// Which sightings are occurrences: confirmed ones, and with `includeOpen` those the machine
    /// identified but nobody has reviewed. Rejected sightings (no fluke, unusable) and photos not
    /// identified yet are never published.
    static func isPublished(_ s: ExportedSighting, includeOpen: Bool) -> Bool {
        switch s.reviewState {
        case .confirmed: return true
        case .rejected: return false
        case .open: return includeOpen && s.decision != SightingDecision.awaitingIdentification.rawValue
        }
    }

    static func confirmedByPerson(_ s: ExportedSighting) -> Bool { s.reviewState == .confirmed && !s.autoConfirmed }

    /// The individual a record names: the confirmed one, or an unreviewed confident match's; an
    /// uncertain or new call names nobody until a person decides.
    static func publishedIndividual(_ s: ExportedSighting) -> String? {
        if s.reviewState == .confirmed { return s.individualID }
        return s.decision == SightingDecision.match.rawValue ? s.individualID : nil
    }

    static func identificationRemarks(_ s: ExportedSighting) -> String {
        var parts = ["machine call: \(s.decision)"]
        if let score = s.score { parts.append(String(format: "score %.4f", score)) }
        if let model = s.modelVersion { parts.append("model \(model)") }
        if !s.candidates.isEmpty {
            parts.append("top candidates " + s.candidates.prefix(5).map { String(format: "%@ %.3f", $0.individual, $0.score) }
                .joined(separator: ", "))
        }
        if s.reviewState == .confirmed {
            if s.autoConfirmed {
                parts.append("confirmed automatically (score above the station's auto-confirm threshold)")
            } else if let chosen = s.individualID, chosen != (s.candidates.first?.individual) {
                parts.append("reviewer chose \(chosen)" + (s.individualIsProvisional ? " (provisional new individual)" : ""))
            } else {
                parts.append("reviewer confirmed the top candidate")
            }
        }
        return parts.joined(separator: "; ")
    }

    static func occurrenceRemarks(_ s: ExportedSighting) -> String {
        var parts = ["camera \(s.camera)", "photo sha256 \(s.photoSHA256)"]
        if s.captureTimeSource != CaptureTime.Source.exif.rawValue {
            parts.append("time from the file's modification time, not the camera's clock")
        }
        return parts.joined(separator: "; ")
    }
}
