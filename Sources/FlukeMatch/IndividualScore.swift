/// One catalog individual's score for a query: the best cosine over that individual's photos, and
/// which photo gave it (the reviewer wants to see the catalog photo side by side with the query).
public struct IndividualScore: Sendable, Equatable, Hashable, Codable {
    public var individual: String
    public var score: Float
    /// Key of the catalog photo that scored best.
    public var photoKey: String

    public init(individual: String, score: Float, photoKey: String) {
        self.individual = individual
        self.score = score
        self.photoKey = photoKey
    }
}
