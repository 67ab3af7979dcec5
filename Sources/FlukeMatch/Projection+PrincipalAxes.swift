import COpenBLAS
import Foundation

/// The PCA a projection fit found, in the form its route leaves it, and the two things the fit
/// needs from it: each photo's scores, and the D×k weights of a projection made in PCA space.
struct PrincipalAxes {
    enum Form {
        /// Unit directions, column-major D×p: the covariance route, short vectors only.
        case basis([Double])
        /// The Gram route: eigenvectors U (column-major m×p) and eigenvalues λ of the Gram matrix of
        /// the centred photos `rows` (indices into the features). Direction j is Xcᵀ·u_j / √λ_j;
        /// it is never formed, because on the station's 15 680-value vectors the D×p basis alone
        /// would be 193 MB of a board's memory during every refit.
        case gram(rows: [Int], vectors: [Double], values: [Double])
    }

    let mean: [Double]
    /// p, the components kept.
    let count: Int
    let form: Form
    /// Gram route: each Gram photo's column in U, by its row in the features (empty otherwise).
    private let gramColumn: [Int: Int]

    init(mean: [Double], count: Int, form: Form) {
        self.mean = mean
        self.count = count
        self.form = form
        var column: [Int: Int] = [:]
        if case .gram(let rows, _, _) = form {
            for (j, r) in rows.enumerated() { column[r] = j }
        }
        gramColumn = column
    }

    /// PCA scores z = basisᵀ·(x − mean) of the given photos, column-major p×b.
    ///
    /// Gram route: a photo the Gram matrix was formed over has z_j = √λ_j·u_j[its column]
    /// (uⱼᵀ·G = λ_j·uⱼᵀ), with no pass over its vector; any other photo (a catalog above
    /// `gramRowLimit`) gets z = Λ^(−1/2)·Uᵀ·(Xc·x_c), Xc·x_c summed a slice of dimensions at a time.
    func scores(_ x: EmbeddingMatrix, rows block: ArraySlice<Int>) -> [Double] {
        let p = count, b = block.count, d = x.dimension
        var z = [Double](repeating: 0, count: p * b)
        switch form {
        case .basis(let basis):
            let a = Projection.centredSlice(x, mean: mean, rows: block, dimensions: 0..<d)
            cblas_dgemm(CblasColMajor, CblasTrans, CblasNoTrans, Int32(p), Int32(b), Int32(d), 1,
                        basis, Int32(d), a, Int32(d), 0, &z, Int32(p))
        case .gram(let rows, let u, let values):
            let m = rows.count
            var others: [(position: Int, row: Int)] = []
            for (i, r) in block.enumerated() {
                guard let j = gramColumn[r] else { others.append((i, r)); continue }
                for l in 0..<p { z[i * p + l] = values[l].squareRoot() * u[l * m + j] }
            }
            guard !others.isEmpty else { break }
            // K = Xc(gram rows) · Xc(others)ᵀ, column-major m×o, then z = Λ^(−1/2)·Uᵀ·K.
            var k = [Double](repeating: 0, count: m * others.count)
            for dims in Projection.dimensionSlices(d) {
                let g = Projection.centredSlice(x, mean: mean, rows: rows, dimensions: dims)
                let o = Projection.centredSlice(x, mean: mean, rows: others.map(\.row), dimensions: dims)
                cblas_dgemm(CblasColMajor, CblasTrans, CblasNoTrans, Int32(m), Int32(others.count), Int32(dims.count), 1,
                            g, Int32(dims.count), o, Int32(dims.count), 1, &k, Int32(m))
            }
            var zo = [Double](repeating: 0, count: p * others.count)
            cblas_dgemm(CblasColMajor, CblasTrans, CblasNoTrans, Int32(p), Int32(others.count), Int32(m), 1,
                        u, Int32(m), k, Int32(m), 0, &zo, Int32(p))
            for (c, other) in others.enumerated() {
                for l in 0..<p { z[other.position * p + l] = zo[c * p + l] / values[l].squareRoot() }
            }
        }
        return z
    }

    /// basis (D×p) · v (p×k), column-major D×k: the projection's weights. Gram route:
    /// Xcᵀ · (U·Λ^(−1/2)·v), a slice of dimensions at a time.
    func weights(_ x: EmbeddingMatrix, times v: [Double], columns k: Int) -> [Double] {
        let p = count, d = x.dimension
        var t = [Double](repeating: 0, count: d * k)
        switch form {
        case .basis(let basis):
            cblas_dgemm(CblasColMajor, CblasNoTrans, CblasNoTrans, Int32(d), Int32(k), Int32(p), 1,
                        basis, Int32(d), v, Int32(p), 0, &t, Int32(d))
        case .gram(let rows, let u, let values):
            let m = rows.count
            var scaled = v
            for j in 0..<k { for l in 0..<p { scaled[j * p + l] /= values[l].squareRoot() } }
            var c = [Double](repeating: 0, count: m * k)
            cblas_dgemm(CblasColMajor, CblasNoTrans, CblasNoTrans, Int32(m), Int32(k), Int32(p), 1,
                        u, Int32(m), scaled, Int32(p), 0, &c, Int32(m))
            t.withUnsafeMutableBufferPointer { out in
                for dims in Projection.dimensionSlices(d) {
                    let a = Projection.centredSlice(x, mean: mean, rows: rows, dimensions: dims)
                    cblas_dgemm(CblasColMajor, CblasNoTrans, CblasNoTrans, Int32(dims.count), Int32(k), Int32(m), 1,
                                a, Int32(dims.count), c, Int32(m), 0, out.baseAddress! + dims.lowerBound, Int32(d))
                }
            }
        }
        return t
    }
}

extension Projection {
    /// Rows per block when the feature matrix is streamed through Double.
    static let fitBlockRows = 512
    /// Above this many dimensions the D×D covariance (three of them in Double: 5.9 GB at D = 15 680)
    /// is never formed; the PCA goes through the photos' Gram matrix whatever their number.
    static let covarianceDimensionLimit = 4096
    /// The most photos the Gram matrix is formed over (4 096² Doubles = 128 MB): a larger catalog's
    /// directions come from this many photos spread evenly through it; every photo still counts in
    /// the mean and the LDA.
    static let gramRowLimit = 4096
    /// Dimensions per slice of the centred features in the Gram route.
    static let gramSliceDimensions = 1024

    /// Every photo, or `gramRowLimit` of them spread evenly (the same ones for the same catalog).
    static func gramRows(_ n: Int, limit: Int = gramRowLimit) -> [Int] {
        guard n > limit else { return Array(0..<n) }
        return (0..<limit).map { $0 * n / limit }
    }

    static func dimensionSlices(_ d: Int) -> [Range<Int>] {
        stride(from: 0, to: d, by: gramSliceDimensions).map { $0..<min(d, $0 + gramSliceDimensions) }
    }

    /// Dimensions `dimensions` of the given rows minus the mean, column-major (one photo per column).
    static func centredSlice(_ x: EmbeddingMatrix, mean: [Double], rows: some Collection<Int>,
                             dimensions: Range<Int>) -> [Double]
    {
        let d = x.dimension, c = dimensions.count
        var out = [Double](repeating: 0, count: c * rows.count)
        x.values.withUnsafeBufferPointer { v in
            for (b, r) in rows.enumerated() {
                let first = r * d + dimensions.lowerBound
                for k in 0..<c { out[b * c + k] = Double(v[first + k]) - mean[dimensions.lowerBound + k] }
            }
        }
        return out
    }

    /// The mean and the `wanted` largest principal axes of the given rows (fewer when the rest have
    /// negligible variance). `rowLimit` is `gramRowLimit` except in tests.
    static func principalAxes(_ x: EmbeddingMatrix, rows fitted: [Int], count wanted: Int, route: PCARoute,
                              rowLimit: Int = gramRowLimit) throws(LinearAlgebraError) -> PrincipalAxes
    {
        let n = fitted.count, d = x.dimension
        var mean = [Double](repeating: 0, count: d)
        x.values.withUnsafeBufferPointer { v in
            for r in fitted { for i in 0..<d { mean[i] += Double(v[r * d + i]) } }
        }
        for i in 0..<d { mean[i] /= Double(n) }

        if route == .gram || (route == .automatic && (n < d || d > covarianceDimensionLimit)) {
            // Gram route: G = Xc·Xcᵀ in photo space (m×m). Xc is only ever held a slice of
            // dimensions at a time (all of it in Double would be 370 MB for 3 000 photos of 15 680
            // values), and beyond `gramRowLimit` photos the axes come from evenly spread photos.
            let rows = gramRows(n, limit: rowLimit).map { fitted[$0] }
            let m = rows.count
            var g = [Double](repeating: 0, count: m * m)
            for dims in dimensionSlices(d) {
                let a = centredSlice(x, mean: mean, rows: rows, dimensions: dims)  // dims×m column-major
                cblas_dsyrk(CblasColMajor, CblasUpper, CblasTrans, Int32(m), Int32(dims.count), 1, a, Int32(dims.count),
                            1, &g, Int32(m))
            }
            let (values, u) = try LAPACK.largestEigenpairs(of: &g, order: m, count: min(wanted, m - 1))
            let p = keptComponents(values)
            return PrincipalAxes(mean: mean, count: p,
                                 form: .gram(rows: rows, vectors: Array(u[0..<(m * p)]), values: Array(values[0..<p])))
        }
        // Covariance route, accumulated block by block.
        var c = [Double](repeating: 0, count: d * d)
        var r0 = 0
        while r0 < n {
            let r1 = min(n, r0 + fitBlockRows)
            let a = centredSlice(x, mean: mean, rows: fitted[r0..<r1], dimensions: 0..<d)
            cblas_dsyrk(CblasColMajor, CblasUpper, CblasNoTrans, Int32(d), Int32(r1 - r0), 1, a, Int32(d),
                        1, &c, Int32(d))
            r0 = r1
        }
        let (values, vectors) = try LAPACK.largestEigenpairs(of: &c, order: d, count: wanted)
        let p = keptComponents(values)
        return PrincipalAxes(mean: mean, count: p, form: .basis(Array(vectors[0..<(d * p)])))
    }

    /// Components whose variance is not negligible against the largest (at least one).
    private static func keptComponents(_ values: [Double]) -> Int {
        let floor = max(values.first ?? 0, 0) * 1e-10
        return max(1, values.prefix { $0 > floor }.count)
    }
}
