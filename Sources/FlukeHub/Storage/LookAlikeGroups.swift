import FlukeAPI
import Foundation

/// Look-alike grouping, shared by both storage backends so they answer curators identically.
enum LookAlikeGroups {
    /// Open candidates of different stations linked when their embeddings (same model version)
    /// have a cosine of at least `minSimilarity`; groups are the connected sets that span at
    /// least two stations. Exact and quadratic: open candidates number in the hundreds.
    /// `candidates` come in seq order, each with its embedding (nil when it has none).
    static func group(_ candidates: [Candidate], vectors: [[Float]?], minSimilarity: Double) -> CandidateGroups {
        var parent = Array(candidates.indices)
        func root(_ i: Int) -> Int { var i = i; while parent[i] != i { parent[i] = parent[parent[i]]; i = parent[i] }; return i }
        var best = [Int: Double]()
        for i in candidates.indices {
            for j in candidates.indices where j > i {
                guard candidates[i].stationID != candidates[j].stationID,
                      candidates[i].modelVersion == candidates[j].modelVersion,
                      let a = vectors[i], let b = vectors[j], a.count == b.count else { continue }
                let s = cosineSimilarity(a, b)
                guard s >= minSimilarity else { continue }
                let (ri, rj) = (root(i), root(j))
                let merged = max(best[ri] ?? -2, best[rj] ?? -2, s)
                parent[rj] = ri
                best[ri] = merged
            }
        }
        let grouped = Dictionary(grouping: candidates.indices, by: root)
        let groups = grouped.compactMap { (r, members) -> CandidateGroup? in
            guard Set(members.map { candidates[$0].stationID }).count >= 2 else { return nil }
            return CandidateGroup(candidates: members.sorted().map { candidates[$0] }, maxSimilarity: best[r] ?? 0)
        }
        return CandidateGroups(groups: groups.sorted { ($0.maxSimilarity, $1.candidates[0].seq) > ($1.maxSimilarity, $0.candidates[0].seq) })
    }

    /// An embedding blob (little-endian float32, as stations send them) as floats.
    static func floats(_ data: Data) -> [Float] {
        data.withUnsafeBytes { raw in
            (0..<(data.count / 4)).map { Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: $0 * 4, as: UInt32.self))) }
        }
    }
}
