/// What the page's Undo button reverts: one sighting's latest decision, or a whole encounter's.
enum UndoTarget: Equatable {
    case sighting(Int64)
    case encounter(Int64)

    var action: String {
        switch self {
        case .sighting(let id): "/sightings/\(id)/undo"
        case .encounter(let id): "/encounters/\(id)/undo"
        }
    }

    var label: String {
        switch self {
        case .sighting(let id): "#\(id)"
        case .encounter(let id): "encounter #\(id)"
        }
    }
}
