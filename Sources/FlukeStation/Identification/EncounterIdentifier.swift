import FlukeCore
import FlukeMatch
import FlukeStore
import FlukeVision
import Foundation

/// The daemon's encounter step: after a photo's sighting is recorded, the photo joins its
/// camera's encounter and the encounter is ranked once with every member photo's evidence
/// combined (`EncounterRanking`), so a burst of one fluke yields one call. Each photo keeps its
/// own sighting and call.
public struct EncounterIdentifier: Sendable {
    let store: EncounterStore
    /// Photos of one camera less than this many seconds apart (chained) are one encounter.
    public let gap: TimeInterval
    /// Candidates kept per photo before combining: an individual below a photo's list counts
    /// with that photo's lowest listed score, so this bounds the work without changing the leaders.
    static let candidatesPerPhoto = 64

    public init(database: StationDatabase, gap: TimeInterval) {
        self.store = EncounterStore(database: database)
        self.gap = gap
    }

    /// Joins the sighting to its encounter and recomputes the encounter's call against `index`.
    public func join(sightingID: Int64, index: CatalogIndex, topK: Int) throws
        -> (encounterID: Int64, call: EncounterStore.Call?)
    {
        try store.assign(sightingID: sightingID, gap: gap, modelVersion: index.modelVersion) { members in
            try Self.call(members, index: index, topK: topK)
        }
    }

    /// At most this many photos' evidence is combined (the first usable ones): a long burst adds
    /// little after a handful of frames, and each frame is verified again whenever a photo joins.
    static let maximumEvidence = 8

    /// Usable photos are the evidence; an encounter of unusable photos only is ranked on all of
    /// them but left to a person (`uncertain`), as a single unusable photo is. Each photo is
    /// ranked (and verified) against the current catalog, so the combined scores are on the scale
    /// the current thresholds were calibrated on, even after a refit.
    static func call(_ members: [EncounterStore.Member], index: CatalogIndex, topK: Int) throws -> EncounterStore.Call? {
        let identified = members.filter { $0.feature != nil }
        guard !identified.isEmpty else { return nil }
        let usable = identified.filter(\.usable)
        let evidence = (usable.isEmpty ? identified : usable).prefix(maximumEvidence)
        let depth = min(index.gallery.individualCount, max(candidatesPerPhoto, topK))
        let rankings = try evidence.map { member in
            try index.rank(member.feature!, topK: depth, local: try member.localFeatures.map { try LocalFeatures(blob: $0) })
        }
        let combined = EncounterRanking.combine(rankings, topK: topK)
        let decision = usable.isEmpty ? .uncertain : index.policy.decide(candidates: combined)
        let best = combined.first
        return EncounterStore.Call(
            decision: decision, individual: decision == .new ? nil : best?.individual, score: best.map { Double($0.score) },
            candidates: combined.map { .init(individual: $0.individual, score: Double($0.score)) },
            photos: identified.count, usablePhotos: usable.count, modelVersion: index.modelVersion)
    }
}
