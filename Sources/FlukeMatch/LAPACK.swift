import COpenBLAS

/// The few dense linear-algebra steps a projection fit needs, in Double, over OpenBLAS's LAPACK.
///
/// Matrices are column-major `[Double]` of order n (for the symmetric ones, row- and column-major
/// are the same thing). Double because the within-class scatter of a few thousand photos in a
/// thousand dimensions is badly conditioned: its smallest eigenvalues are 10⁻⁶ of its largest,
/// below Float's resolution once summed over thousands of rows.
enum LAPACK {
    /// The `count` largest eigenvalues of the symmetric matrix `a` (upper triangle read; `a` is
    /// destroyed) and their unit eigenvectors, largest first: `vectors` is column-major n×count.
    static func largestEigenpairs(of a: inout [Double], order n: Int, count: Int)
        throws(LinearAlgebraError) -> (values: [Double], vectors: [Double])
    {
        precondition(a.count == n * n && count >= 1 && count <= n)
        var jobz = Int8(UInt8(ascii: "V")), range = Int8(UInt8(ascii: "I")), uplo = Int8(UInt8(ascii: "U"))
        var n32 = Int32(n), lda = Int32(n), ldz = Int32(n)
        var vl = 0.0, vu = 0.0, abstol = 0.0
        var il = Int32(n - count + 1), iu = Int32(n)
        var found: Int32 = 0, info: Int32 = 0
        var w = [Double](repeating: 0, count: n)
        var z = [Double](repeating: 0, count: n * count)
        var isuppz = [Int32](repeating: 0, count: 2 * count)
        // Workspace query first, then the real call.
        var workQuery = 0.0, iworkQuery: Int32 = 0, lwork: Int32 = -1, liwork: Int32 = -1
        dsyevr_(&jobz, &range, &uplo, &n32, &a, &lda, &vl, &vu, &il, &iu, &abstol, &found, &w, &z, &ldz,
                &isuppz, &workQuery, &lwork, &iworkQuery, &liwork, &info, 1, 1, 1)
        guard info == 0 else { throw .invalidArgument(routine: "dsyevr", info: Int(info)) }
        lwork = Int32(workQuery.rounded(.up))
        liwork = iworkQuery
        var work = [Double](repeating: 0, count: Int(lwork))
        var iwork = [Int32](repeating: 0, count: Int(liwork))
        dsyevr_(&jobz, &range, &uplo, &n32, &a, &lda, &vl, &vu, &il, &iu, &abstol, &found, &w, &z, &ldz,
                &isuppz, &work, &lwork, &iwork, &liwork, &info, 1, 1, 1)
        if info < 0 { throw .invalidArgument(routine: "dsyevr", info: Int(info)) }
        if info > 0 || Int(found) != count { throw .eigensolverFailed(routine: "dsyevr", info: Int(info)) }
        // LAPACK returns ascending order; reverse to largest first, in place (z can be 50 MB).
        let values = Array(w[0..<count].reversed())
        for j in 0..<(count / 2) {
            let other = count - 1 - j
            for i in 0..<n { z.swapAt(j * n + i, other * n + i) }
        }
        return (values, z)
    }

    /// Cholesky factor U (upper, a = UᵀU) in place; the strict lower triangle is zeroed so the
    /// result can go straight into `cblas_dtrsm`.
    static func choleskyUpper(_ a: inout [Double], order n: Int) throws(LinearAlgebraError) {
        precondition(a.count == n * n)
        var uplo = Int8(UInt8(ascii: "U"))
        var n32 = Int32(n), lda = Int32(n), info: Int32 = 0
        dpotrf_(&uplo, &n32, &a, &lda, &info, 1)
        if info < 0 { throw .invalidArgument(routine: "dpotrf", info: Int(info)) }
        if info > 0 { throw .notPositiveDefinite(order: n, minor: Int(info)) }
        for j in 0..<n { for i in (j + 1)..<n { a[j * n + i] = 0 } }
    }
}
