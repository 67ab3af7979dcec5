@testable import FlukeMatch
import XCTest

/// The two-pass search (int8 bounds, then float32 for what can still matter) must return exactly
/// what one float32 `sgemv` returns: same individuals, same best photos, same scores.
final class TwoPassRankingTests: XCTestCase {
    func assertSameRanking(_ a: [IndividualScore], _ b: [IndividualScore], _ message: String,
                           file: StaticString = #filePath, line: UInt = #line)
    {
        XCTAssertEqual(a.map(\.individual), b.map(\.individual), message, file: file, line: line)
        XCTAssertEqual(a.map(\.photoKey), b.map(\.photoKey), message, file: file, line: line)
        for (x, y) in zip(a, b) { XCTAssertEqual(x.score, y.score, accuracy: 1e-5, message, file: file, line: line) }
    }

    /// Individuals as tight clusters (like a catalog after LDA): many near-ties between an
    /// individual's own photos, and a few individuals close to the query.
    func clusteredGallery(individuals: Int, photosEach: Int, dimension: Int, seed: UInt64,
                          aggregation: Gallery.Aggregation) throws -> (Gallery, SyntheticData)
    {
        var data = SyntheticData(seed: seed)
        let (features, labels) = data.clusters(individuals: individuals, photosEach: photosEach, dimension: dimension,
                                               signalDimensions: dimension, noise: 0.3, nuisance: 0.1)
        var rows = features
        rows.normalizeRows()
        let gallery = try Gallery(embeddings: rows, individuals: labels,
                                  photoKeys: (0..<rows.count).map { "p\($0)" }, aggregation: aggregation)
        return (gallery, data)
    }

    func testTwoPassesEqualOneFloatPassOnClusteredCatalogs() throws {
        for aggregation in [Gallery.Aggregation.maximumAndCentroid, .maximum] {
            let (gallery, _) = try clusteredGallery(individuals: 300, photosEach: 7, dimension: 48, seed: 11,
                                                    aggregation: aggregation)
            // Queries: catalog photos themselves (the hardest near-ties) and fresh noisy vectors.
            var fresh = SyntheticData(seed: 12)
            var queries = stride(from: 0, to: gallery.count, by: 97).map { Array(gallery.embeddings.row($0)) }
            queries += (0..<10).map { _ in VectorMath.normalized(fresh.vector(48)) }
            for (i, q) in queries.enumerated() {
                for k in [1, 5, 40] {
                    assertSameRanking(gallery.rankInTwoPasses(query: q, topK: k, excluding: .nothing),
                                      gallery.rankWithBLAS(query: q, topK: k, excluding: .nothing),
                                      "\(aggregation) query \(i) top \(k)")
                }
            }
        }
    }

    func testExclusionsGiveTheSameAnswerInBothPaths() throws {
        let (gallery, _) = try clusteredGallery(individuals: 120, photosEach: 5, dimension: 32, seed: 21,
                                                aggregation: .maximumAndCentroid)
        for row in stride(from: 3, to: gallery.count, by: 41) {
            let q = Array(gallery.embeddings.row(row))
            for exclusion in [Gallery.Exclusion.photo(gallery.photoKeys[row]), .individual(gallery.individual(ofRow: row))] {
                let twoPass = gallery.rankInTwoPasses(query: q, topK: 5, excluding: exclusion)
                assertSameRanking(twoPass, gallery.rankWithBLAS(query: q, topK: 5, excluding: exclusion), "\(exclusion)")
                if case .individual(let id) = exclusion { XCTAssertFalse(twoPass.contains { $0.individual == id }) }
                if case .photo(let key) = exclusion { XCTAssertFalse(twoPass.contains { $0.photoKey == key }) }
            }
        }
    }

    func testEditsKeepTheInt8CopyInStep() throws {
        var (gallery, data) = try clusteredGallery(individuals: 60, photosEach: 6, dimension: 24, seed: 31,
                                                   aggregation: .maximumAndCentroid)
        for i in 0..<40 { try gallery.remove(photoKey: "p\(i * 7)") }
        gallery.remove(individual: gallery.individual(ofRow: 5))
        for i in 0..<25 { try gallery.add(VectorMath.normalized(data.vector(24)), individual: "late\(i % 4)", photoKey: "late\(i)") }
        try gallery.replace(photoKey: "late3", with: Array(gallery.embeddings.row(0)))
        XCTAssertEqual(gallery.quantized.count, gallery.count)
        XCTAssertEqual(gallery.quantizedCentroids.count * gallery.dimension, gallery.centroids.count)
        for row in stride(from: 0, to: gallery.count, by: 13) {
            let q = Array(gallery.embeddings.row(row))
            assertSameRanking(gallery.rankInTwoPasses(query: q, topK: 5, excluding: .nothing),
                              gallery.rankWithBLAS(query: q, topK: 5, excluding: .nothing), "row \(row)")
        }
    }

    func testFewerIndividualsThanAskedAndDegenerateQueries() throws {
        let gallery = try Gallery(embeddings: EmbeddingMatrix(rows: [[1, 0, 0], [0, 1, 0], [0.6, 0.8, 0], [0, 0, 1]]),
                                  individuals: ["a", "b", "b", "c"], photoKeys: ["1", "2", "3", "4"])
        for q: [Float] in [[1, 0, 0], [0, 0, 0], [0.5, 0.5, 0.7071], [-1, 0, 0]] {
            assertSameRanking(gallery.rankInTwoPasses(query: q, topK: 10, excluding: .nothing),
                              gallery.rankWithBLAS(query: q, topK: 10, excluding: .nothing), "\(q)")
        }
        XCTAssertEqual(gallery.rankInTwoPasses(query: [1, 0, 0], topK: 10, excluding: .nothing).count, 3)
    }

    func testTheErrorBoundHoldsForEveryRow() {
        var data = SyntheticData(seed: 41)
        var rows = QuantizedRows(dimension: 64)
        let floats = (0..<500).map { i in VectorMath.normalized(data.vector(64, scale: i % 2 == 0 ? 1 : 0.01)) }
        for f in floats { rows.append(f) }
        for _ in 0..<20 {
            let y = VectorMath.normalized(data.vector(64))
            let q = QuantizedQuery(y)
            var dots = [Int32](repeating: 0, count: rows.count)
            dots.withUnsafeMutableBufferPointer { rows.dotProducts(with: q, into: $0) }
            for (r, x) in floats.enumerated() {
                let exact = zip(x, y).reduce(Float(0)) { $0 + $1.0 * $1.1 }
                let (value, bound) = rows.estimate(row: r, dot: dots[r], query: q)
                XCTAssertLessThanOrEqual(abs(value - exact), bound, "row \(r)")
                XCTAssertLessThan(bound, 0.05, "a bound this loose would prune nothing")
            }
        }
    }

    func testLargeGalleriesRankThroughTheTwoPassPath() throws {
        // Above the threshold the public entry point takes the two-pass path; it must agree with
        // the brute-force reference of GalleryTests.
        let n = Gallery.quantizedSearchMinimumRows + 10
        var data = SyntheticData(seed: 51)
        let rows = (0..<n).map { _ in VectorMath.normalized(data.vector(32)) }
        let ids = (0..<n).map { "ind\($0 % 500)" }, keys = (0..<n).map { "k\($0)" }
        let gallery = try Gallery(embeddings: EmbeddingMatrix(rows: rows), individuals: ids, photoKeys: keys)
        for _ in 0..<5 {
            let q = VectorMath.normalized(data.vector(32))
            assertSameRanking(try gallery.rank(query: q, topK: 5), GalleryTests.bruteForce(rows, ids, keys, q, topK: 5), "")
        }
    }
}
