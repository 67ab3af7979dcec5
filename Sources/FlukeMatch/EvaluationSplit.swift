/// Why a split could not be made.
public enum EvaluationSplitError: Error, Equatable, CustomStringConvertible {
    case noPhotos
    case unknownFractionOutOfRange(Double)
    case queriesPerIndividualNotPositive(Int)

    public var description: String {
        switch self {
        case .noPhotos:
            return "the labelled set has no photos to split"
        case .unknownFractionOutOfRange(let f):
            return "the unknown fraction must lie in 0...1, got \(f)"
        case .queriesPerIndividualNotPositive(let q):
            return "queries per individual must be at least 1, got \(q)"
        }
    }
}

/// The deterministic catalog/query split of a labelled photo set (the `evaluate` contract).
///
/// 1. The distinct individuals, sorted by UTF-8 bytes, are shuffled with `SplitMix64(seed)`; the
///    first ⌊F·count + 0.5⌋ of that order are *unknown*: all their photos are queries whose right
///    answer is `new_whale`, and none of them is in the catalog.
/// 2. Continuing the same generator, every known individual with n ≥ 2 photos, in sorted order,
///    has its photo rows (in input order) shuffled; the first min(Q, n − 1) are queries, the rest
///    catalog. An individual therefore always keeps at least one catalog photo (a query whose
///    individual has no catalog photo would really be a 'new' query), and one with two photos
///    gives one query. Individuals with a single photo stay catalog-only: they are distractors.
///
/// `tools/research/fluke_research.py` implements the same rule; both give the same rows.
public struct EvaluationSplit: Sendable, Equatable {
    /// Rows (indices into the labels) that form the catalog, ascending.
    public let catalogRows: [Int]
    /// Rows used as queries, ascending.
    public let queryRows: [Int]
    /// Parallel to `queryRows`: the query's individual is unknown (right answer `new_whale`).
    public let queryIsNew: [Bool]
    /// The individuals left out of the catalog, sorted.
    public let unknownIndividuals: [String]

    public init(labels: [String], seed: UInt64, unknownFraction: Double, queriesPerIndividual: Int)
        throws(EvaluationSplitError)
    {
        guard !labels.isEmpty else { throw .noPhotos }
        guard (0.0...1.0).contains(unknownFraction) else { throw .unknownFractionOutOfRange(unknownFraction) }
        guard queriesPerIndividual >= 1 else { throw .queriesPerIndividualNotPositive(queriesPerIndividual) }

        var rowsOf: [String: [Int]] = [:]
        for (row, label) in labels.enumerated() { rowsOf[label, default: []].append(row) }
        let individuals = rowsOf.keys.sorted(by: Self.utf8Precedes)

        var rng = SplitMix64(seed: seed)
        var order = individuals
        rng.shuffle(&order)
        let unknownCount = Int((unknownFraction * Double(individuals.count) + 0.5).rounded(.down))
        let unknown = Set(order.prefix(unknownCount))

        var catalog: [Int] = []
        var queries: [Int] = []
        for individual in individuals {
            var rows = rowsOf[individual]!
            if unknown.contains(individual) {
                queries += rows
            } else if rows.count >= 2 {
                rng.shuffle(&rows)
                let q = min(queriesPerIndividual, rows.count - 1)
                queries += rows[..<q]
                catalog += rows[q...]
            } else {
                catalog += rows
            }
        }
        catalog.sort()
        queries.sort()
        catalogRows = catalog
        queryRows = queries
        queryIsNew = queries.map { unknown.contains(labels[$0]) }
        unknownIndividuals = unknown.sorted(by: Self.utf8Precedes)
    }

    /// Byte order of the UTF-8 encoding: the same as Python's code-point order and independent of
    /// locale and of Unicode normalisation.
    static func utf8Precedes(_ a: String, _ b: String) -> Bool {
        a.utf8.lexicographicallyPrecedes(b.utf8)
    }
}
