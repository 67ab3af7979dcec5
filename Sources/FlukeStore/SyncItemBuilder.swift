import Crypto
import FlukeAPI
import FlukeCore
import Foundation
import GRDB

/// Turns one outbox row into the wire items it stands for, reading the station's own tables.
/// A review decision brings its sighting along (once, the first time the sighting is named,
/// unless it is being rejected: a rejected photo is not worth a satellite link) and, for a
/// `new-individual` decision, the candidate it created.
struct SyncItemBuilder {
    /// The outbox payload of a review decision, as `ReviewOutbox` writes it.
    typealias DecisionPayload = ReviewOutbox.Payload

    /// One wire item with what it costs and the crop it refers to.
    struct Built {
        var item: SyncItem
        var cropSHA256: String?
        var cropPath: String?
        var cropBytes: Int
    }

    let stateDirectory: String
    /// `[hub] send_full_frames`: the photo itself (hash-checked) instead of its fluke crop.
    var fullFrames = false

    func items(kind: String, payloadJSON: String, _ db: Database) throws -> [Built] {
        guard kind == ReviewOutbox.kind else { throw SyncPrepareError.unknownKind(kind) }
        let p: DecisionPayload
        do {
            p = try JSONDecoder().decode(DecisionPayload.self, from: Data(payloadJSON.utf8))
        } catch {
            throw SyncPrepareError.unreadablePayload("\(error)")
        }
        guard let action = ReviewDecisionItem.Action(rawValue: p.action), let state = ReviewDecisionItem.State(rawValue: p.state) else {
            throw SyncPrepareError.unreadablePayload("unknown action \(p.action) or state \(p.state)")
        }
        var out: [Built] = []
        let alreadyQueued = try Bool.fetchOne(db, sql: "SELECT 1 FROM sync_item WHERE item_id = ?", arguments: [p.sightingUUID]) == true
        let sighting = try sightingParts(uuid: p.sightingUUID, db)
        if !alreadyQueued, action != .reject, let sighting { out.append(sighting) }
        if let provisional = p.provisionalIndividual {
            var candidate = CandidateItem(itemID: provisional.id, name: provisional.name, sightingID: p.sightingUUID, createdAt: p.decidedAt)
            if case .sighting(let s)? = sighting?.item {
                candidate.embedding = s.embedding
                candidate.cropSHA256 = s.cropSHA256
            }
            out.append(Built(item: .candidate(candidate), cropSHA256: candidate.cropSHA256, cropPath: sighting?.cropPath,
                             cropBytes: sighting?.cropBytes ?? 0))
        }
        out.append(Built(item: .reviewDecision(ReviewDecisionItem(
            itemID: p.decisionUUID, sightingID: p.sightingUUID, action: action, reviewer: p.reviewer, decidedAt: p.decidedAt,
            state: state, individualID: p.individualID, rejectReason: p.rejectReason, autoConfirmed: p.autoConfirmed,
            undoes: p.undoes)), cropSHA256: nil, cropPath: nil, cropBytes: 0))
        return out
    }

    /// The sighting as facts (capture, machine's call, embedding) with its fluke crop (or, when
    /// configured, its full frame) as the image the hub keeps.
    private func sightingParts(uuid: String, _ db: Database) throws -> Built? {
        guard let row = try Row.fetchOne(db, sql: """
            SELECT s.uuid, s.photo_sha256, s.decision, s.candidates_json, s.score, s.model_version,
                   p.captured_at, p.camera, p.latitude, p.longitude, p.thumbnail_path
            FROM sighting s JOIN photo p ON p.sha256 = s.photo_sha256 WHERE s.uuid = ?
            """, arguments: [uuid]) else { return nil }
        let sha: String = row["photo_sha256"]
        var embedding: WireEmbedding?
        if let e = try Row.fetchOne(db, sql: """
            SELECT model_version, vector FROM embedding WHERE photo_sha256 = ? ORDER BY (model_version = ?) DESC, id DESC LIMIT 1
            """, arguments: [sha, row["model_version"] as String?]) {
            embedding = WireEmbedding(modelVersion: e["model_version"], vector: FloatBlob.decode(e["vector"]))
        }
        var cropSHA: String?, cropPath: String?, cropBytes = 0
        // The fluke crop the station cut when it identified the photo; the whole-frame review
        // thumbnail for photos processed before there was a catalog (or before crops were kept).
        // With full frames configured, the photo itself first (a path whose bytes still hash to it).
        let originals = fullFrames
            ? try String.fetchAll(db, sql: "SELECT path FROM photo_file WHERE photo_sha256 = ? ORDER BY id", arguments: [sha]) : []
        for path in originals + [StateDirectoryLayout.flukeCrop(sha256: sha), row["thumbnail_path"] as String?].compactMap({ $0 }) {
            let full = path.hasPrefix("/") ? path : (stateDirectory as NSString).appendingPathComponent(path)
            if let bytes = FileManager.default.contents(atPath: full) {
                let digest = PhotoID(digest: SHA256.hash(data: bytes)).hex
                if originals.contains(path), digest != sha { continue }   // changed since intake: not this photo
                cropSHA = digest
                cropPath = full
                cropBytes = bytes.count
                break
            }
        }
        let decision = SightingItem.Decision(rawValue: row["decision"]) ?? .awaitingIdentification
        // The machine's call, not the review's (`sighting.individual_id` follows the review).
        var best: String?
        if decision == .match || decision == .uncertain, let json = row["candidates_json"] as String? {
            best = (try? JSONDecoder().decode([IdentificationRecord.Candidate].self, from: Data(json.utf8)))?.first?.individual
        }
        let item = SightingItem(itemID: uuid, photoSHA256: sha, capturedAt: row["captured_at"], camera: row["camera"],
                                latitude: row["latitude"], longitude: row["longitude"], decision: decision,
                                individualID: best, score: row["score"], embedding: embedding, cropSHA256: cropSHA)
        return Built(item: .sighting(item), cropSHA256: cropSHA, cropPath: cropPath, cropBytes: cropBytes)
    }
}

enum SyncPrepareError: Error, CustomStringConvertible {
    case unknownKind(String)
    case unreadablePayload(String)

    var description: String {
        switch self {
        case .unknownKind(let k): "this version does not know how to send outbox items of kind \"\(k)\""
        case .unreadablePayload(let why): "the outbox payload cannot be read: \(why)"
        }
    }
}
