import FlukeStore
import Foundation

/// A sighting as the review page needs it: the listing `review list` prints plus where and
/// when the photo was taken.
public struct ReviewItem: Sendable {
    public var listing: ReviewListing
    public var details: SightingPhotoDetails?
    public var id: Int64 { listing.id }
    public var isOpen: Bool { listing.reviewState == "open" }
    var epoch: Double { details?.capturedEpoch ?? 0 }
}

/// Photos reviewed together: one encounter, or (until encounters are assigned) one camera's
/// photos with no gap longer than `EncounterGrouping.gap` between them.
public struct EncounterGroup: Sendable {
    public var key: String
    public var camera: String
    /// True when the station assigned this encounter; false when it is the page's grouping.
    public var isAssigned: Bool
    /// Capture order.
    public var items: [ReviewItem]
    public var openCount: Int { items.filter(\.isOpen).count }
}

public enum EncounterGrouping {
    /// Photos of one camera less than this apart belong to the same encounter. A fluke-up dive
    /// lasts minutes; a new group after a quarter of an hour of silence is a new whale or pod.
    public static let gap: TimeInterval = 15 * 60

    public static func group(_ items: [ReviewItem], gap: TimeInterval = gap) -> [EncounterGroup] {
        var groups: [EncounterGroup] = []
        var assigned: [Int64: Int] = [:]
        let sorted = items.sorted { ($0.listing.camera, $0.epoch, $0.id) < ($1.listing.camera, $1.epoch, $1.id) }
        var lastByCamera: [String: (group: Int, epoch: Double)] = [:]
        for item in sorted {
            if let encounter = item.details?.encounterID {
                if let g = assigned[encounter] {
                    groups[g].items.append(item)
                } else {
                    assigned[encounter] = groups.count
                    groups.append(EncounterGroup(key: "e\(encounter)", camera: item.listing.camera, isAssigned: true, items: [item]))
                }
                continue
            }
            if let last = lastByCamera[item.listing.camera], item.epoch - last.epoch <= gap {
                groups[last.group].items.append(item)
            } else {
                lastByCamera[item.listing.camera] = (groups.count, item.epoch)
                groups.append(EncounterGroup(key: "c\(item.id)", camera: item.listing.camera, isAssigned: false, items: [item]))
            }
            lastByCamera[item.listing.camera]?.epoch = item.epoch
        }
        for g in groups.indices { groups[g].items.sort { ($0.epoch, $0.id) < ($1.epoch, $1.id) } }
        return groups
    }
}

/// The review queue as the page walks it: encounters holding open sightings, the most urgent
/// first (an encounter is as urgent as its most urgent open photo: uncertain, then new, then
/// match, as `review list` orders them), and within each its open photos in the same order.
public struct ReviewQueueView: Sendable {
    public var groups: [EncounterGroup]
    /// Every group, also those with nothing open, by sighting id (for a decided sighting's page).
    var groupOf: [Int64: EncounterGroup]
    /// Open sightings in review order: what J/K and "next after a decision" walk.
    public var openOrder: [Int64]

    public init(queries: StationQueries) throws {
        let all = try queries.reviewQueue(includeDecided: true)
        let details = try queries.sightingPhotoDetails()
        let items = all.map { ReviewItem(listing: $0, details: details[$0.id]) }
        // reviewQueue puts open sightings first, in urgency order: their position is their rank.
        let rank = Dictionary(uniqueKeysWithValues: all.enumerated().filter { $0.element.reviewState == "open" }.map { ($0.element.id, $0.offset) })
        let grouped = EncounterGrouping.group(items)
        var groupOf: [Int64: EncounterGroup] = [:]
        for g in grouped { for item in g.items { groupOf[item.id] = g } }
        self.groupOf = groupOf
        groups = grouped.filter { $0.openCount > 0 }
            .sorted { g1, g2 in
                let r1 = g1.items.compactMap { rank[$0.id] }.min() ?? .max, r2 = g2.items.compactMap { rank[$0.id] }.min() ?? .max
                return r1 < r2
            }
        // Within an encounter too, the most urgent photo first (the strip keeps capture order).
        openOrder = groups.flatMap { $0.items.filter(\.isOpen).map(\.id).sorted { rank[$0]! < rank[$1]! } }
    }

    public func group(of sighting: Int64) -> EncounterGroup? { groupOf[sighting] }

    /// The photos of a station-assigned encounter, decided ones included, in capture order.
    public func items(ofEncounter encounter: Int64) -> [ReviewItem] {
        groupOf.values.first { $0.key == "e\(encounter)" }?.items ?? []
    }

    public func item(_ sighting: Int64) -> ReviewItem? { groupOf[sighting]?.items.first { $0.id == sighting } }

    /// The open sighting after `sighting` in review order (wrapping to the first); for a
    /// decided one, the first open sighting.
    public func next(after sighting: Int64) -> Int64? {
        guard let i = openOrder.firstIndex(of: sighting) else { return openOrder.first }
        return openOrder.count > 1 ? openOrder[(i + 1) % openOrder.count] : nil
    }

    public func previous(before sighting: Int64) -> Int64? {
        guard let i = openOrder.firstIndex(of: sighting) else { return openOrder.last }
        return openOrder.count > 1 ? openOrder[(i + openOrder.count - 1) % openOrder.count] : nil
    }
}
