import COpenBLAS
import Foundation

extension Projection {
    /// Fits PCA then regularised LDA on labelled catalog features (each row one photo).
    ///
    /// 1. PCA: the `pcaDimension` largest eigenvectors of the covariance. When there are fewer
    ///    photos than dimensions the eigenproblem of the N×N Gram matrix gives the same directions
    ///    more cheaply (built a slice of dimensions at a time, over at most `gramRowLimit` photos);
    ///    otherwise, for short vectors only (D ≤ `covarianceDimensionLimit`), the D×D covariance is
    ///    accumulated block by block. Either way the eigenproblem stays below about three
    ///    4 096×4 096 Double matrices, whatever the number of photos, and the Gram route never
    ///    forms the D×p basis (193 MB for the station's D = 15 680): see `PrincipalAxes`. The
    ///    features themselves come on top. Fit in a refit job, not on the query path.
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

        let axes = try linearAlgebra { () throws(LinearAlgebraError) in
            try principalAxes(features, rows: rows, count: min(parameters.pcaDimension, n - 1, d), route: route)
        }
        let p = axes.count
        let stats = scatterStatistics(features, rows: rows, axes: axes, classIndex: classIndex, classCount: classCount)
        let k = min(parameters.outputDimension ?? p, p)
        let v = try linearAlgebra { () throws(LinearAlgebraError) in
            try discriminantDirections(stats, rows: n, components: p, classCount: classCount,
                                       alpha: parameters.alpha, keep: k, eigenvaluePower: parameters.eigenvaluePower)
        }
        // T = basis (D×p) · v (p×k), column-major D×k = row-major k×D: the weights.
        let t = axes.weights(features, times: v, columns: k)
        var bias = [Float](repeating: 0, count: k)
        for j in 0..<k {
            var s = 0.0
            for i in 0..<d { s += t[j * d + i] * axes.mean[i] }
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

    /// What LDA needs from the PCA scores z = basisᵀ·(x − mean), accumulated block by block so no
    /// N×p matrix is ever held: the total scatter Σ z·zᵀ (upper triangle, p×p), the per-individual
    /// sums of z (individuals × p) and photo counts.
    struct ScatterStatistics {
        var total: [Double]
        var classSums: [Double]
        var counts: [Double]
    }

    private static func scatterStatistics(_ x: EmbeddingMatrix, rows: [Int], axes: PrincipalAxes,
                                          classIndex: [Int], classCount: Int) -> ScatterStatistics
    {
        let n = rows.count, p = axes.count
        var stats = ScatterStatistics(total: [Double](repeating: 0, count: p * p),
                                      classSums: [Double](repeating: 0, count: classCount * p),
                                      counts: [Double](repeating: 0, count: classCount))
        var r0 = 0
        while r0 < n {
            let r1 = min(n, r0 + fitBlockRows), b = r1 - r0
            let z = axes.scores(x, rows: rows[r0..<r1])  // column-major p×b
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
