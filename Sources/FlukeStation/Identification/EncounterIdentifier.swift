import FlukeCore
import FlukeMatch
import FlukeStore
import FlukeVision
import Foundation
import Synchronization

/// The daemon's encounter step: after a photo's sighting is recorded, the photo joins its
/// camera's encounter and the encounter is ranked once with every member photo's evidence
/// combined (`EncounterRanking`), so a burst of one fluke yields one call. Each photo keeps its
/// own sighting and call.
public final class EncounterIdentifier: Sendable {
    let store: EncounterStore
    /// Photos of one camera less than this many seconds apart (chained) are one encounter.
    public let gap: TimeInterval
    /// Candidates kept per photo before combining: an individual below a photo's list counts
    /// with that photo's lowest listed score, so this bounds the work without changing the leaders.
    static let candidatesPerPhoto = 64
    /// At most this many photos' evidence is combined (the first usable ones): a long burst adds
    /// little after a handful of frames.
    static let maximumEvidence = 8
    /// Recent photos' verified rankings by sighting, with the fit they were made against: a
    /// burst's earlier frames are not ranked and verified again each time a frame joins.
    private let rankings = Mutex<[Int64: (fittedAt: Date, ranking: [IndividualScore])]>([:])
    private static let remembered = 512

    public init(database: StationDatabase, gap: TimeInterval) {
        self.store = EncounterStore(database: database)
        self.gap = gap
    }

    /// Joins the sighting to its encounter and recomputes the encounter's call against `index`.
    /// `ranking`: the photo's own ranking (at least `candidatesPerPhoto` deep), as identification
    /// just made it.
    public func join(sightingID: Int64, ranking: [IndividualScore], index: CatalogIndex, topK: Int) throws
        -> (encounterID: Int64, call: EncounterStore.Call?)
    {
        remember(sightingID, ranking, fittedAt: index.fitted.fittedAt)
        return try store.assign(sightingID: sightingID, gap: gap, modelVersion: index.modelVersion) { members in
            try call(members, index: index, topK: topK)
        }
    }

    /// Usable photos are the evidence; an encounter of unusable photos only is ranked on all of
    /// them but left to a person (`uncertain`), as a single unusable photo is, and so is one whose
    /// photos disagree (`EncounterRanking.decide`). Each photo's ranking is against the current
    /// fit (made again, verified, after a refit), so the combined scores are on the scale the
    /// current thresholds were calibrated on.
    func call(_ members: [EncounterStore.Member], index: CatalogIndex, topK: Int) throws -> EncounterStore.Call? {
        let identified = members.filter { $0.feature != nil }
        guard !identified.isEmpty else { return nil }
        let usable = identified.filter(\.usable)
        let evidence = (usable.isEmpty ? identified : usable).prefix(Self.maximumEvidence)
        let photoRankings = try evidence.map { try ranking(of: $0, index: index, topK: topK) }
        let combined = EncounterRanking.combine(photoRankings, topK: topK)
        let decision = usable.isEmpty ? .uncertain : EncounterRanking.decide(photoRankings, combined: combined, policy: index.policy)
        let best = combined.first
        return EncounterStore.Call(
            decision: decision, individual: decision == .new ? nil : best?.individual, score: best.map { Double($0.score) },
            candidates: combined.map { .init(individual: $0.individual, score: Double($0.score)) },
            photos: identified.count, usablePhotos: usable.count, modelVersion: index.modelVersion)
    }

    private func ranking(of member: EncounterStore.Member, index: CatalogIndex, topK: Int) throws -> [IndividualScore] {
        let fittedAt = index.fitted.fittedAt
        if let known = rankings.withLock({ $0[member.sightingID] }), known.fittedAt == fittedAt { return known.ranking }
        let depth = min(index.gallery.individualCount, max(Self.candidatesPerPhoto, topK))
        // A photo whose leader was beyond doubt kept no local features; should a refit put it in
        // doubt, its leaders are ranked on zero inliers (its global scores), as a photo without
        // features always was.
        let ranking = try index.rank(member.feature!, topK: depth) {
            try member.localFeatures.map { try LocalFeatures(blob: $0) }
        }.ranking
        remember(member.sightingID, ranking, fittedAt: fittedAt)
        return ranking
    }

    private func remember(_ sightingID: Int64, _ ranking: [IndividualScore], fittedAt: Date) {
        rankings.withLock { cache in
            cache[sightingID] = (fittedAt, ranking)
            if cache.count > Self.remembered {
                let cutoff = sightingID - Int64(Self.remembered)
                cache = cache.filter { $0.key > cutoff }
            }
        }
    }
}
