import COpenBLAS
import Foundation

extension Projection {
    /// Rows per block when the feature matrix is streamed through Double (covariance path).
    static let fitBlockRows = 512

    /// Fits PCA then regularised LDA on labelled catalog features (each row one photo).
    ///
    /// 1. PCA: the `pcaDimension` largest eigenvectors of the covariance. When there are fewer
    ///    photos than dimensions the eigenproblem of the N×N Gram matrix gives the same directions
    ///    more cheaply (built a slice of dimensions at a time, over at most `gramRowLimit` photos);
    ///    otherwise, for short vectors only (D ≤ `covarianceDimensionLimit`), the D×D covariance is
    ///    accumulated block by block. Either way the eigenproblem stays below about three
    ///    4 096×4 096 Double matrices, whatever the number of photos; the D×p basis (193 MB for
    ///    the station's D = 15 680) and the features themselves come on top. Fit in a refit job,
    ///    not on the query path.
    ///    Components with a variance below 1e-10 of the largest (duplicate photos) are dropped.
    /// 2. LDA in PCA space: Sw the pooled within-individual scatter, Sb the scatter of individual
    ///    means weighted by photo count (both / N); Sw is shrunk to (1 − α)·Sw + α·tr(Sw)/p·I and the
    ///    generalised problem Sb·v = λ·Sw·v solved by Cholesky (Sw = UᵀU) and the symmetric problem
    ///    U⁻ᵀ·Sb·U⁻¹, keeping the largest λ; v is scaled so vᵀ·Sw·v = 1, then by λ^power.
    /// Individuals with one photo add nothing to Sw but still shape Sb and the PCA.
    public static func fit(features: EmbeddingMatrix, labels: [String], parameters: Parameters = Parameters())
        throws(ProjectionError) -> Projection
    {
        try fit(features: features, rows: Array(0..<features.count), labels: labels, parameters: parameters,
                route: .automatic)
    }

    /// Fits on the given rows of `features` only, in that order, with one label per row, without
    /// copying them: calibration fits five folds of a catalog whose raw vectors may hold 300 MB, and
    /// a copy of 80% of them for each fold would be most of a board's memory.
    public static func fit(features: EmbeddingMatrix, rows: [Int], labels: [String],
                           parameters: Parameters = Parameters()) throws(ProjectionError) -> Projection
    {
        try fit(features: features, rows: rows, labels: labels, parameters: parameters, route: .automatic)
    }

    /// How the PCA eigenproblem is set up; tests force each route to check they agree.
    enum PCARoute { case automatic, gram, covariance }

    static func fit(features: EmbeddingMatrix, labels: [String], parameters: Parameters, route: PCARoute)
        throws(ProjectionError) -> Projection
    {
        try fit(features: features, rows: Array(0..<features.count), labels: labels, parameters: parameters,
                route: route)
    }

    static func fit(features: EmbeddingMatrix, rows: [Int], labels: [String], parameters: Parameters,
                    route: PCARoute) throws(ProjectionError) -> Projection
    {
        try parameters.validate()
        precondition(rows.allSatisfy { $0 >= 0 && $0 < features.count }, "a fitting row lies outside the features")
        let n = rows.count, d = features.dimension
        guard labels.count == n else { throw .labelsDoNotMatchRows(rows: n, labels: labels.count) }
        guard n >= 3 else { throw .tooFewRows(n) }
        var classOf: [String: Int] = [:]
        let classIndex = labels.map { label -> Int in
            if let c = classOf[label] { return c }
            classOf[label] = classOf.count
            return classOf.count - 1
        }
        let classCount = classOf.count
        guard classCount >= 2 else { throw .tooFewIndividuals(classCount) }

        let (mean, basis, p) = try linearAlgebra { () throws(LinearAlgebraError) in
            try principalComponents(features, rows: rows, count: min(parameters.pcaDimension, n - 1, d), route: route)
        }
        let stats = scatterStatistics(features, rows: rows, mean: mean, basis: basis, components: p,
                                      classIndex: classIndex, classCount: classCount)
        let k = min(parameters.outputDimension ?? p, p)
        let v = try linearAlgebra { () throws(LinearAlgebraError) in
            try discriminantDirections(stats, rows: n, components: p, classCount: classCount,
                                       alpha: parameters.alpha, keep: k, eigenvaluePower: parameters.eigenvaluePower)
        }
        // T = basis (D×p) · v (p×k), column-major D×k = row-major k×D: the weights.
        var t = [Double](repeating: 0, count: d * k)
        cblas_dgemm(CblasColMajor, CblasNoTrans, CblasNoTrans, Int32(d), Int32(k), Int32(p), 1,
                    basis, Int32(d), v, Int32(p), 0, &t, Int32(d))
        var bias = [Float](repeating: 0, count: k)
        for j in 0..<k {
            var s = 0.0
            for i in 0..<d { s += t[j * d + i] * mean[i] }
            bias[j] = Float(s)
        }
        return try Projection(inputDimension: d, outputDimension: k, weights: t.map { Float($0) }, bias: bias,
                              parameters: parameters, pcaComponents: p, trainingRows: n,
                              trainingIndividuals: classCount)
    }

    private static func linearAlgebra<T>(_ body: () throws(LinearAlgebraError) -> T) throws(ProjectionError) -> T {
        do {
            return try body()
        } catch {
            throw .linearAlgebra(error)
        }
    }

    /// The given rows of the features minus the mean, as a column-major D×b Double block (= row-major
    /// b×D: one photo per column).
    private static func centredBlock(_ x: EmbeddingMatrix, mean: [Double], rows: ArraySlice<Int>) -> [Double] {
        centredSlice(x, mean: mean, rows: rows, dimensions: 0..<x.dimension)
    }

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
    static func gramRows(_ n: Int) -> [Int] {
        guard n > gramRowLimit else { return Array(0..<n) }
        return (0..<gramRowLimit).map { $0 * n / gramRowLimit }
    }

    private static func dimensionSlices(_ d: Int) -> [Range<Int>] {
        stride(from: 0, to: d, by: gramSliceDimensions).map { $0..<min(d, $0 + gramSliceDimensions) }
    }

    /// Dimensions `dimensions` of the given rows minus the mean, column-major (one photo per column).
    private static func centredSlice(_ x: EmbeddingMatrix, mean: [Double], rows: some Collection<Int>,
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

    /// Mean, unit PCA directions (column-major D×p) and the number p actually kept.
    private static func principalComponents(_ x: EmbeddingMatrix, rows fitted: [Int], count wanted: Int,
                                            route: PCARoute)
        throws(LinearAlgebraError) -> (mean: [Double], basis: [Double], kept: Int)
    {
        let n = fitted.count, d = x.dimension
        var mean = [Double](repeating: 0, count: d)
        x.values.withUnsafeBufferPointer { v in
            for r in fitted { for i in 0..<d { mean[i] += Double(v[r * d + i]) } }
        }
        for i in 0..<d { mean[i] /= Double(n) }

        if route == .gram || (route == .automatic && (n < d || d > covarianceDimensionLimit)) {
            // Gram route: G = Xc·Xcᵀ in photo space (N×N); each direction is Xcᵀ·u / √λ. Xc is
            // only ever held a slice of dimensions at a time (all of it in Double would be
            // 370 MB for 3 000 photos of 15 680 values), and beyond `gramRowLimit` photos the
            // directions come from evenly spread photos, so G stays ≤ 128 MB.
            let rows = gramRows(n).map { fitted[$0] }
            let m = rows.count
            var g = [Double](repeating: 0, count: m * m)
            for dims in dimensionSlices(d) {
                let a = centredSlice(x, mean: mean, rows: rows, dimensions: dims)  // dims×M column-major
                cblas_dsyrk(CblasColMajor, CblasUpper, CblasTrans, Int32(m), Int32(dims.count), 1, a, Int32(dims.count),
                            1, &g, Int32(m))
            }
            let (values, u) = try LAPACK.largestEigenpairs(of: &g, order: m, count: min(wanted, m - 1))
            g = []  // 128 MB at the row limit, not needed while the basis is built
            let p = keptComponents(values)
            var basis = [Double](repeating: 0, count: d * p)
            basis.withUnsafeMutableBufferPointer { b in
                for dims in dimensionSlices(d) {
                    let a = centredSlice(x, mean: mean, rows: rows, dimensions: dims)
                    cblas_dgemm(CblasColMajor, CblasNoTrans, CblasNoTrans, Int32(dims.count), Int32(p), Int32(m), 1,
                                a, Int32(dims.count), u, Int32(m), 0, b.baseAddress! + dims.lowerBound, Int32(d))
                }
            }
            for j in 0..<p {
                let s = 1 / values[j].squareRoot()
                for i in 0..<d { basis[j * d + i] *= s }
            }
            return (mean, basis, p)
        } else {
            // Covariance route, accumulated block by block.
            var c = [Double](repeating: 0, count: d * d)
            var r0 = 0
            while r0 < n {
                let r1 = min(n, r0 + fitBlockRows)
                let a = centredBlock(x, mean: mean, rows: fitted[r0..<r1])
                cblas_dsyrk(CblasColMajor, CblasUpper, CblasNoTrans, Int32(d), Int32(r1 - r0), 1, a, Int32(d),
                            1, &c, Int32(d))
                r0 = r1
            }
            let (values, vectors) = try LAPACK.largestEigenpairs(of: &c, order: d, count: wanted)
            let p = keptComponents(values)
            return (mean, Array(vectors[0..<(d * p)]), p)
        }
    }

    /// Components whose variance is not negligible against the largest (at least one).
    private static func keptComponents(_ values: [Double]) -> Int {
        let floor = max(values.first ?? 0, 0) * 1e-10
        return max(1, values.prefix { $0 > floor }.count)
    }

    /// What LDA needs from the PCA scores z = basisᵀ·(x − mean), accumulated block by block so no
    /// N×p matrix is ever held: the total scatter Σ z·zᵀ (upper triangle, p×p), the per-individual
    /// sums of z (individuals × p) and photo counts.
    struct ScatterStatistics {
        var total: [Double]
        var classSums: [Double]
        var counts: [Double]
    }

    private static func scatterStatistics(_ x: EmbeddingMatrix, rows: [Int], mean: [Double], basis: [Double],
                                          components p: Int, classIndex: [Int], classCount: Int) -> ScatterStatistics
    {
        let n = rows.count, d = x.dimension
        var stats = ScatterStatistics(total: [Double](repeating: 0, count: p * p),
                                      classSums: [Double](repeating: 0, count: classCount * p),
                                      counts: [Double](repeating: 0, count: classCount))
        var z = [Double](repeating: 0, count: p * fitBlockRows)
        var r0 = 0
        while r0 < n {
            let r1 = min(n, r0 + fitBlockRows), b = r1 - r0
            let a = centredBlock(x, mean: mean, rows: rows[r0..<r1])
            // z block: column-major p×b = basisᵀ (p×D) · a (D×b).
            cblas_dgemm(CblasColMajor, CblasTrans, CblasNoTrans, Int32(p), Int32(b), Int32(d), 1,
                        basis, Int32(d), a, Int32(d), 0, &z, Int32(p))
            cblas_dsyrk(CblasColMajor, CblasUpper, CblasNoTrans, Int32(p), Int32(b), 1, z, Int32(p), 1,
                        &stats.total, Int32(p))
            for i in 0..<b {
                let c = classIndex[r0 + i]
                stats.counts[c] += 1
                for j in 0..<p { stats.classSums[c * p + j] += z[i * p + j] }
            }
            r0 = r1
        }
        return stats
    }

    /// Regularised LDA directions in PCA space: column-major p×k.
    ///
    /// Sw = Σ (z − m_c)(z − m_c)ᵀ / N is computed as St/N − Σ_c (n_c/N)·m_c·m_cᵀ (the same sum,
    /// expanded), and Sb = Σ_c (n_c/N)·(m_c − μ)(m_c − μ)ᵀ; in Double the cancellation is harmless
    /// (the research implementation forms the residuals explicitly and agrees to 1e-7).
    private static func discriminantDirections(
        _ stats: ScatterStatistics, rows n: Int, components p: Int, classCount: Int,
        alpha: Double, keep k: Int, eigenvaluePower: Double
    ) throws(LinearAlgebraError) -> [Double] {
        let nd = Double(n)
        var mu = [Double](repeating: 0, count: p)
        for c in 0..<classCount { for j in 0..<p { mu[j] += stats.classSums[c * p + j] } }
        for j in 0..<p { mu[j] /= nd }
        // Rows √(n_c/N)·m_c and √(n_c/N)·(m_c − μ), column-major p×C.
        var wm = [Double](repeating: 0, count: classCount * p)
        var mb = [Double](repeating: 0, count: classCount * p)
        for c in 0..<classCount {
            let w = (stats.counts[c] / nd).squareRoot()
            for j in 0..<p {
                let m = stats.classSums[c * p + j] / stats.counts[c]
                wm[c * p + j] = m * w
                mb[c * p + j] = (m - mu[j]) * w
            }
        }
        var sw = stats.total
        cblas_dsyrk(CblasColMajor, CblasUpper, CblasNoTrans, Int32(p), Int32(classCount), -1, wm, Int32(p),
                    1 / nd, &sw, Int32(p))
        var sb = [Double](repeating: 0, count: p * p)
        cblas_dsyrk(CblasColMajor, CblasUpper, CblasNoTrans, Int32(p), Int32(classCount), 1, mb, Int32(p), 0, &sb,
                    Int32(p))
        symmetrizeFromUpper(&sb, order: p)

        // Shrink Sw toward its scaled identity, then Sw = UᵀU.
        var trace = 0.0
        for j in 0..<p { trace += sw[j * p + j] }
        for j in 0..<p {
            for i in 0...j { sw[j * p + i] *= (1 - alpha) }
            sw[j * p + j] += alpha * trace / Double(p)
        }
        try LAPACK.choleskyUpper(&sw, order: p)

        // M = U⁻ᵀ·Sb·U⁻¹ (symmetric), its largest eigenpairs, and v = U⁻¹·w.
        cblas_dtrsm(CblasColMajor, CblasLeft, CblasUpper, CblasTrans, CblasNonUnit, Int32(p), Int32(p), 1,
                    sw, Int32(p), &sb, Int32(p))
        cblas_dtrsm(CblasColMajor, CblasRight, CblasUpper, CblasNoTrans, CblasNonUnit, Int32(p), Int32(p), 1,
                    sw, Int32(p), &sb, Int32(p))
        for j in 0..<p {
            for i in 0..<j {
                let s = 0.5 * (sb[j * p + i] + sb[i * p + j])
                sb[j * p + i] = s
                sb[i * p + j] = s
            }
        }
        let (lambda, vectors) = try LAPACK.largestEigenpairs(of: &sb, order: p, count: k)
        var v = vectors
        cblas_dtrsm(CblasColMajor, CblasLeft, CblasUpper, CblasNoTrans, CblasNonUnit, Int32(p), Int32(k), 1,
                    sw, Int32(p), &v, Int32(p))
        if eigenvaluePower != 0 {
            for j in 0..<k {
                let s = pow(max(lambda[j], 1e-12), eigenvaluePower)
                for i in 0..<p { v[j * p + i] *= s }
            }
        }
        return v
    }

    private static func symmetrizeFromUpper(_ a: inout [Double], order n: Int) {
        for j in 0..<n { for i in 0..<j { a[i * n + j] = a[j * n + i] } }
    }
}
