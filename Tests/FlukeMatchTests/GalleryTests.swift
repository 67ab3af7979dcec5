@testable import FlukeMatch
import XCTest

final class GalleryTests: XCTestCase {
    /// The reference, written the slow obvious way: per individual, the maximum of plain dot
    /// products over its visible photos, averaged (for `.maximumAndCentroid`) with the dot product
    /// with the normalised sum of those photos; sorted by score then id.
    static func bruteForce(_ rows: [[Float]], _ ids: [String], _ keys: [String], _ q: [Float], topK: Int,
                           aggregation: Gallery.Aggregation = .maximumAndCentroid,
                           skip: (Int) -> Bool = { _ in false }) -> [IndividualScore]
    {
        func dot(_ a: [Float], _ b: [Float]) -> Float { zip(a, b).reduce(Float(0)) { $0 + $1.0 * $1.1 } }
        var best: [String: IndividualScore] = [:]
        var sums: [String: [Float]] = [:]
        for (i, r) in rows.enumerated() where !skip(i) {
            let s = dot(r, q)
            if best[ids[i]].map({ s > $0.score }) ?? true {
                best[ids[i]] = IndividualScore(individual: ids[i], score: s, photoKey: keys[i])
            }
            sums[ids[i]] = zip(sums[ids[i]] ?? [Float](repeating: 0, count: r.count), r).map { $0 + $1 }
        }
        if aggregation == .maximumAndCentroid {
            for (id, sum) in sums { best[id]!.score = 0.5 * (best[id]!.score + dot(VectorMath.normalized(sum), q)) }
        }
        return best.values.sorted { $0.score != $1.score ? $0.score > $1.score : $0.individual < $1.individual }
            .prefix(topK).map { $0 }
    }

    func makeRows(_ n: Int, _ d: Int, seed: UInt64) -> ([[Float]], [String], [String]) {
        var data = SyntheticData(seed: seed)
        let rows = (0..<n).map { _ in VectorMath.normalized(data.vector(d)) }
        let ids = (0..<n).map { "ind\($0 % 13)" }
        let keys = (0..<n).map { "photo\($0).jpg" }
        return (rows, ids, keys)
    }

    func assertSameRanking(_ a: [IndividualScore], _ b: [IndividualScore], file: StaticString = #filePath,
                           line: UInt = #line)
    {
        XCTAssertEqual(a.map(\.individual), b.map(\.individual), file: file, line: line)
        XCTAssertEqual(a.map(\.photoKey), b.map(\.photoKey), file: file, line: line)
        for (x, y) in zip(a, b) { XCTAssertEqual(x.score, y.score, accuracy: 1e-5, file: file, line: line) }
    }

    func testRankEqualsABruteForceLoop() throws {
        let (rows, ids, keys) = makeRows(200, 24, seed: 1)
        for aggregation in [Gallery.Aggregation.maximum, .maximumAndCentroid] {
            let gallery = try Gallery(embeddings: EmbeddingMatrix(rows: rows), individuals: ids, photoKeys: keys,
                                      aggregation: aggregation)
            XCTAssertEqual(gallery.individualCount, 13)
            var data = SyntheticData(seed: 2)
            for _ in 0..<20 {
                let q = VectorMath.normalized(data.vector(24))
                assertSameRanking(try gallery.rank(query: q, topK: 5),
                                  Self.bruteForce(rows, ids, keys, q, topK: 5, aggregation: aggregation))
                assertSameRanking(try gallery.rank(query: q, topK: 50),
                                  Self.bruteForce(rows, ids, keys, q, topK: 50, aggregation: aggregation))
            }
        }
    }

    func testBatchedRankEqualsSingleRank() throws {
        let (rows, ids, keys) = makeRows(150, 16, seed: 3)
        let gallery = try Gallery(embeddings: EmbeddingMatrix(rows: rows), individuals: ids, photoKeys: keys)
        var data = SyntheticData(seed: 4)
        let queries = (0..<37).map { _ in VectorMath.normalized(data.vector(16)) }
        let batch = try gallery.rank(queries: EmbeddingMatrix(rows: queries), topK: 5)
        XCTAssertEqual(batch.count, queries.count)
        for (q, ranked) in zip(queries, batch) { assertSameRanking(ranked, try gallery.rank(query: q, topK: 5)) }
    }

    func testExclusionsHideAPhotoOrAnIndividual() throws {
        let (rows, ids, keys) = makeRows(120, 12, seed: 5)
        let gallery = try Gallery(embeddings: EmbeddingMatrix(rows: rows), individuals: ids, photoKeys: keys)
        // A catalog photo asked against itself finds itself unless excluded.
        let q = rows[7]
        XCTAssertEqual(try gallery.rank(query: q, topK: 1).first?.photoKey, keys[7])
        let maxOnly = try Gallery(embeddings: EmbeddingMatrix(rows: rows), individuals: ids, photoKeys: keys,
                                  aggregation: .maximum)
        XCTAssertEqual(try maxOnly.rank(query: q, topK: 1).first?.score ?? 0, 1, accuracy: 1e-5)
        assertSameRanking(try maxOnly.rank(query: q, topK: 5, excluding: .photo(keys[7])),
                          Self.bruteForce(rows, ids, keys, q, topK: 5, aggregation: .maximum) { $0 == 7 })
        assertSameRanking(try gallery.rank(query: q, topK: 5, excluding: .photo(keys[7])),
                          Self.bruteForce(rows, ids, keys, q, topK: 5) { $0 == 7 })
        let hidden = try gallery.rank(query: q, topK: 20, excluding: .individual(ids[7]))
        XCTAssertFalse(hidden.contains { $0.individual == ids[7] })
        assertSameRanking(hidden, Self.bruteForce(rows, ids, keys, q, topK: 20) { ids[$0] == ids[7] })
        let batch = try gallery.rank(queries: EmbeddingMatrix(rows: [q, q]), topK: 5,
                                     excluding: [.photo(keys[7]), .individual(ids[7])])
        assertSameRanking(batch[0], try gallery.rank(query: q, topK: 5, excluding: .photo(keys[7])))
        assertSameRanking(batch[1], try gallery.rank(query: q, topK: 5, excluding: .individual(ids[7])))
    }

    func testInPlaceEditsEqualARebuiltGallery() throws {
        let (rows, ids, keys) = makeRows(90, 10, seed: 6)
        var gallery = Gallery(dimension: 10)
        for i in 0..<90 { try gallery.add(rows[i], individual: ids[i], photoKey: keys[i]) }
        try gallery.remove(photoKey: keys[3])
        try gallery.remove(photoKey: keys[89])
        try gallery.remove(photoKey: keys[0])
        XCTAssertEqual(gallery.remove(individual: "ind5"), 7)
        var extra = SyntheticData(seed: 7)
        let added = VectorMath.normalized(extra.vector(10))
        try gallery.add(added, individual: "newcomer", photoKey: "late.jpg")

        var keep = (0..<90).filter { ![3, 89, 0].contains($0) && ids[$0] != "ind5" }.map { (rows[$0], ids[$0], keys[$0]) }
        keep.append((added, "newcomer", "late.jpg"))
        let rebuilt = try Gallery(embeddings: EmbeddingMatrix(rows: keep.map(\.0)), individuals: keep.map(\.1),
                                  photoKeys: keep.map(\.2))
        XCTAssertEqual(gallery.count, rebuilt.count)
        XCTAssertEqual(gallery.individualCount, rebuilt.individualCount)
        XCTAssertFalse(gallery.contains(photoKey: keys[3]))
        for k in 0..<gallery.count {
            XCTAssertEqual(Array(gallery.embeddings.row(k)),
                           Array(rebuilt.embeddings.row(keep.firstIndex { $0.2 == gallery.photoKeys[k] }!)))
            XCTAssertEqual(gallery.individual(ofRow: k), keep.first { $0.2 == gallery.photoKeys[k] }!.1)
        }
        for _ in 0..<10 {
            let q = VectorMath.normalized(extra.vector(10))
            assertSameRanking(try gallery.rank(query: q, topK: 6), try rebuilt.rank(query: q, topK: 6))
        }
        // Replacing an embedding changes only that photo.
        try gallery.replace(photoKey: "late.jpg", with: rows[0])
        XCTAssertEqual(try gallery.rank(query: rows[0], topK: 1).first?.individual, "newcomer")
    }

    func testBadInputIsRefusedAndLeavesTheGalleryUnchanged() throws {
        var gallery = Gallery(dimension: 3)
        try gallery.add([1, 0, 0], individual: "a", photoKey: "k1")
        XCTAssertThrowsError(try gallery.add([1, 0], individual: "a", photoKey: "k2")) {
            XCTAssertEqual($0 as? GalleryError, .dimensionMismatch(expected: 3, got: 2))
        }
        XCTAssertThrowsError(try gallery.add([0, 1, 0], individual: "b", photoKey: "k1")) {
            XCTAssertEqual($0 as? GalleryError, .duplicatePhotoKey("k1"))
        }
        XCTAssertThrowsError(try gallery.remove(photoKey: "nope")) {
            XCTAssertEqual($0 as? GalleryError, .unknownPhotoKey("nope"))
        }
        XCTAssertThrowsError(try gallery.rank(query: [1, 0, 0], topK: 0))
        XCTAssertEqual(gallery.count, 1)
        XCTAssertEqual(try Gallery(dimension: 3).rank(query: [1, 0, 0], topK: 5), [])
        XCTAssertThrowsError(try Gallery(embeddings: EmbeddingMatrix(rows: [[1]]), individuals: [], photoKeys: ["x"]))
    }

    func testAnIndividualWithOnlyTheExcludedPhotoDisappears() throws {
        let gallery = try Gallery(embeddings: EmbeddingMatrix(rows: [[1, 0], [0, 1], [0.6, 0.8]]),
                                  individuals: ["solo", "b", "b"], photoKeys: ["s", "b1", "b2"])
        let ranked = try gallery.rank(query: [1, 0], topK: 5, excluding: .photo("s"))
        XCTAssertEqual(ranked.map(\.individual), ["b"])
        // b: max 0.6, centroid of (0,1)+(0.6,0.8) = (0.6,1.8)/|…| → 0.6/1.897 = 0.316; mean 0.458.
        XCTAssertEqual(ranked[0].score, 0.5 * (0.6 + 0.6 / (0.36 + 3.24).squareRoot()), accuracy: 1e-5)
    }

    func testTiesBreakByIndividualId() throws {
        let gallery = try Gallery(embeddings: EmbeddingMatrix(rows: [[1, 0], [1, 0], [1, 0]]),
                                  individuals: ["c", "a", "b"], photoKeys: ["1", "2", "3"])
        XCTAssertEqual(try gallery.rank(query: [1, 0], topK: 3).map(\.individual), ["a", "b", "c"])
    }
}
