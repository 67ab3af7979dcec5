@testable import FlukeMatch
import XCTest

final class ProjectionTests: XCTestCase {
    /// Clusters whose identity is hidden under a shared nuisance: raw cosine mostly sees four
    /// strong nuisance directions, LDA must find the 8 signal coordinates. 30 individuals, 10
    /// training and 2 test photos each.
    static func nuisanceClusters() -> (train: EmbeddingMatrix, trainLabels: [String], test: EmbeddingMatrix,
                                       testLabels: [String])
    {
        var data = SyntheticData(seed: 11)
        let (x, labels) = data.clusters(individuals: 30, photosEach: 12, dimension: 64, signalDimensions: 8,
                                        noise: 0.3, nuisance: 3.0)
        let train = (0..<x.count).filter { $0 % 12 < 10 }, test = (0..<x.count).filter { $0 % 12 >= 10 }
        return (x.selecting(rows: train), train.map { labels[$0] }, x.selecting(rows: test), test.map { labels[$0] })
    }

    static func top1(gallery: EmbeddingMatrix, galleryLabels: [String], queries: EmbeddingMatrix,
                     queryLabels: [String]) throws -> Double
    {
        let g = try Gallery(embeddings: gallery, individuals: galleryLabels,
                            photoKeys: galleryLabels.indices.map { "\($0)" })
        let ranked = try g.rank(queries: queries, topK: 1)
        return Double(zip(ranked, queryLabels).filter { $0.0.first?.individual == $0.1 }.count) / Double(queryLabels.count)
    }

    func testLDABeatsRawCosineOnClustersUnderANuisance() throws {
        let d = Self.nuisanceClusters()
        let raw = try Self.top1(gallery: d.train, galleryLabels: d.trainLabels, queries: d.test, queryLabels: d.testLabels)
        let projection = try Projection.fit(features: d.train, labels: d.trainLabels,
                                            parameters: .init(pcaDimension: 48, alpha: 0.3, outputDimension: 8))
        XCTAssertEqual(projection.outputDimension, 8)
        XCTAssertEqual(projection.pcaComponents, 48)
        XCTAssertEqual(projection.trainingIndividuals, 30)
        let learned = try Self.top1(gallery: try projection.apply(d.train), galleryLabels: d.trainLabels,
                                    queries: try projection.apply(d.test), queryLabels: d.testLabels)
        print("synthetic clusters: top-1 raw cosine \(raw), projected \(learned)")
        XCTAssertLessThan(raw, 0.5, "the synthetic nuisance should defeat raw cosine")
        XCTAssertGreaterThan(learned, 0.9)
        XCTAssertGreaterThan(learned, raw + 0.4)
    }

    func testOutputsAreUnitLengthAndSingleEqualsBatch() throws {
        let d = Self.nuisanceClusters()
        let p = try Projection.fit(features: d.train, labels: d.trainLabels,
                                   parameters: .init(pcaDimension: 32, alpha: 0.5, eigenvaluePower: 0.25))
        let batch = try p.apply(d.test)
        for i in 0..<d.test.count {
            let single = try p.apply(Array(d.test.row(i)))
            XCTAssertEqual(single.reduce(0) { $0 + $1 * $1 }, 1, accuracy: 1e-4)
            for (a, b) in zip(single, batch.row(i)) { XCTAssertEqual(a, b, accuracy: 1e-5) }
        }
    }

    func testGramAndCovarianceRoutesGiveTheSameEmbedding() throws {
        let d = Self.nuisanceClusters()  // 300 training rows × 64 dims
        let params = Projection.Parameters(pcaDimension: 40, alpha: 0.3)
        let viaGram = try Projection.fit(features: d.train, labels: d.trainLabels, parameters: params, route: .gram)
        let viaCov = try Projection.fit(features: d.train, labels: d.trainLabels, parameters: params, route: .covariance)
        let a = try viaGram.apply(d.test), b = try viaCov.apply(d.test)
        // Directions may differ in sign, so compare what matching uses: cosines between photos.
        for i in stride(from: 0, to: d.test.count, by: 5) {
            for j in stride(from: 1, to: d.test.count, by: 7) {
                let ca = zip(a.row(i), a.row(j)).reduce(Float(0)) { $0 + $1.0 * $1.1 }
                let cb = zip(b.row(i), b.row(j)).reduce(Float(0)) { $0 + $1.0 * $1.1 }
                XCTAssertEqual(ca, cb, accuracy: 2e-3)
            }
        }
    }

    /// The Gram route builds its matrix a slice of dimensions at a time; on vectors longer than
    /// one slice (three slices, the last partial) it must still find the covariance's directions.
    func testTheGramRouteOverSeveralDimensionSlicesAgreesWithTheCovariance() throws {
        var data = SyntheticData(seed: 5)
        let d = 2 * Projection.gramSliceDimensions + 300
        let (x, labels) = data.clusters(individuals: 12, photosEach: 8, dimension: d, signalDimensions: 6,
                                        noise: 0.3, nuisance: 2.0)
        let params = Projection.Parameters(pcaDimension: 30, alpha: 0.3)
        let viaGram = try Projection.fit(features: x, labels: labels, parameters: params, route: .gram)
        let viaCov = try Projection.fit(features: x, labels: labels, parameters: params, route: .covariance)
        let a = try viaGram.apply(x), b = try viaCov.apply(x)
        var compared = 0
        for i in stride(from: 0, to: x.count, by: 3) {
            for j in stride(from: 1, to: x.count, by: 5) {
                let ca = zip(a.row(i), a.row(j)).reduce(Float(0)) { $0 + $1.0 * $1.1 }
                let cb = zip(b.row(i), b.row(j)).reduce(Float(0)) { $0 + $1.0 * $1.1 }
                XCTAssertEqual(ca, cb, accuracy: 2e-3)
                compared += 1
            }
        }
        XCTAssertGreaterThan(compared, 500)
    }

    /// The Gram route never forms its D×p basis. Its scores, for photos inside the Gram matrix and
    /// for those a large catalog leaves outside it, and its weights must still be what that basis,
    /// spelled out here, gives.
    func testTheGramRoutesScoresAndWeightsEqualItsBasisSpelledOut() throws {
        let x = Self.nuisanceClusters().train  // 300 photos × 64 values
        let n = x.count, dim = x.dimension
        let fitted = Array((0..<n).reversed())
        let axes = try Projection.principalAxes(x, rows: fitted, count: 20, route: .gram, rowLimit: 120)
        guard case .gram(let rows, let u, let values) = axes.form else { return XCTFail("expected the Gram route") }
        let m = rows.count, p = axes.count
        XCTAssertEqual(m, 120)
        XCTAssertEqual(p, 20)
        func centred(_ r: Int, _ i: Int) -> Double { Double(x.values[r * dim + i]) - axes.mean[i] }
        // Direction j = Σ over the Gram photos of (x_r − mean)·u_j[r] / √λ_j: a unit vector.
        var basis = [Double](repeating: 0, count: dim * p)
        for j in 0..<p {
            for (c, r) in rows.enumerated() {
                let w = u[j * m + c] / values[j].squareRoot()
                for i in 0..<dim { basis[j * dim + i] += centred(r, i) * w }
            }
            let norm = (0..<dim).reduce(0.0) { $0 + basis[j * dim + $1] * basis[j * dim + $1] }
            XCTAssertEqual(norm, 1, accuracy: 1e-9, "direction \(j)")
        }
        let z = axes.scores(x, rows: fitted[...])
        let inGram = Set(rows)
        XCTAssertEqual(fitted.filter { !inGram.contains($0) }.count, n - m, "photos outside the Gram matrix are scored too")
        for (b, r) in fitted.enumerated() {
            for j in 0..<p {
                let expected = (0..<dim).reduce(0.0) { $0 + basis[j * dim + $1] * centred(r, $1) }
                XCTAssertEqual(z[b * p + j], expected, accuracy: 1e-9, "photo \(r), component \(j)")
            }
        }
        let v = (0..<(p * 3)).map { Double($0 % 7) - 3 }
        let t = axes.weights(x, times: v, columns: 3)
        for c in 0..<3 {
            for i in 0..<dim {
                let expected = (0..<p).reduce(0.0) { $0 + basis[$1 * dim + i] * v[c * p + $1] }
                XCTAssertEqual(t[c * dim + i], expected, accuracy: 1e-9)
            }
        }
    }

    /// A large catalog's PCA runs on evenly spread photos: at most the limit, the first photo
    /// included, strictly increasing, and the same ones every time.
    func testALargeCatalogsPCAPhotosAreSpreadEvenlyAndCapped() {
        XCTAssertEqual(Projection.gramRows(10), Array(0..<10))
        XCTAssertEqual(Projection.gramRows(Projection.gramRowLimit), Array(0..<Projection.gramRowLimit))
        let n = 3 * Projection.gramRowLimit + 17
        let rows = Projection.gramRows(n)
        XCTAssertEqual(rows.count, Projection.gramRowLimit)
        XCTAssertEqual(rows.first, 0)
        XCTAssertLessThan(rows.last!, n)
        let step = (n + Projection.gramRowLimit - 1) / Projection.gramRowLimit
        XCTAssertGreaterThanOrEqual(rows.last!, n - step, "the spread reaches the end of the catalog")
        XCTAssertTrue(zip(rows, rows.dropFirst()).allSatisfy { $1 - $0 >= 3 }, "no photo twice, none bunched")
        XCTAssertEqual(rows, Projection.gramRows(n))
    }

    /// Calibration fits each fold on row indices instead of a copy of the rows; the two must give
    /// the same projection bit for bit, on both PCA routes, rows out of order included.
    func testFittingOnChosenRowsEqualsFittingOnACopyOfThem() throws {
        let d = Self.nuisanceClusters()
        let rows = (0..<d.train.count).filter { $0 % 5 != 2 }.reversed().map { $0 }
        let labels = rows.map { d.trainLabels[$0] }
        let params = Projection.Parameters(pcaDimension: 40, alpha: 0.3, outputDimension: 12)
        for route in [Projection.PCARoute.gram, .covariance] {
            let onRows = try Projection.fit(features: d.train, rows: rows, labels: labels, parameters: params, route: route)
            let onCopy = try Projection.fit(features: d.train.selecting(rows: rows), labels: labels, parameters: params,
                                            route: route)
            XCTAssertEqual(onRows.trainingRows, rows.count)
            XCTAssertEqual(try onRows.apply(d.test), try onCopy.apply(d.test), "route \(route)")
        }
        XCTAssertNotEqual(try Projection.fit(features: d.train, labels: d.trainLabels, parameters: params).apply(d.test),
                          try Projection.fit(features: d.train, rows: rows, labels: labels, parameters: params).apply(d.test),
                          "leaving rows out must change the fit, or this test compares nothing")
    }

    func testRoundTripsThroughBytes() throws {
        let d = Self.nuisanceClusters()
        let p = try Projection.fit(features: d.train, labels: d.trainLabels,
                                   parameters: .init(pcaDimension: 30, alpha: 0.2, outputDimension: 12, eigenvaluePower: 0.25))
        let bytes = p.serialized()
        XCTAssertEqual(Array(bytes.prefix(4)), Array("FWPJ".utf8))
        XCTAssertEqual(bytes.count, Projection.headerSize + 4 * (12 + 12 * 64) + 4)
        let back = try Projection(serialized: bytes)
        XCTAssertEqual(back, p)
        XCTAssertEqual(try back.apply(Array(d.test.row(0))), try p.apply(Array(d.test.row(0))))
    }

    func testDamagedBytesAreRejected() throws {
        let d = Self.nuisanceClusters()
        let bytes = try Projection.fit(features: d.train, labels: d.trainLabels,
                                       parameters: .init(pcaDimension: 10, outputDimension: 4)).serialized()
        var flipped = bytes
        flipped[Projection.headerSize + 9] ^= 0x10
        XCTAssertThrowsError(try Projection(serialized: flipped)) { XCTAssertEqual($0 as? ProjectionError, .checksumMismatch) }
        XCTAssertThrowsError(try Projection(serialized: Array(bytes.dropLast(7)))) {
            guard case .truncated = $0 as? ProjectionError else { return XCTFail("\($0)") }
        }
        XCTAssertThrowsError(try Projection(serialized: Array(bytes.prefix(3)))) {
            guard case .truncated = $0 as? ProjectionError else { return XCTFail("\($0)") }
        }
        var magic = bytes
        magic[0] = UInt8(ascii: "X")
        XCTAssertThrowsError(try Projection(serialized: magic)) { XCTAssertEqual($0 as? ProjectionError, .notAProjection) }
        var future = bytes
        future[4] = 9
        XCTAssertThrowsError(try Projection(serialized: future)) {
            XCTAssertEqual($0 as? ProjectionError, .unsupportedVersion(9))
        }
        XCTAssertThrowsError(try Projection(serialized: bytes + [0])) {
            guard case .corruptHeader = $0 as? ProjectionError else { return XCTFail("\($0)") }
        }
    }

    func testCRC32MatchesTheStandardCheckValue() {
        XCTAssertEqual(CRC32.checksum(Array("123456789".utf8)), 0xCBF4_3926)
    }

    func testFitRefusesUnusableInput() {
        let x = EmbeddingMatrix(rows: [[1, 0], [0, 1], [1, 1], [1, -1]])
        XCTAssertThrowsError(try Projection.fit(features: x, labels: ["a", "a", "a", "a"])) {
            XCTAssertEqual($0 as? ProjectionError, .tooFewIndividuals(1))
        }
        XCTAssertThrowsError(try Projection.fit(features: x, labels: ["a", "b"])) {
            XCTAssertEqual($0 as? ProjectionError, .labelsDoNotMatchRows(rows: 4, labels: 2))
        }
        XCTAssertThrowsError(try Projection.fit(features: x, labels: ["a", "a", "b", "b"], parameters: .init(alpha: 0))) {
            guard case .invalidParameter = $0 as? ProjectionError else { return XCTFail("\($0)") }
        }
        XCTAssertThrowsError(try Projection.fit(features: x, labels: ["a", "a", "b", "b"]).apply([1, 2, 3])) {
            XCTAssertEqual($0 as? ProjectionError, .dimensionMismatch(expected: 2, got: 3))
        }
    }
}
