/// A LAPACK routine refused or failed. `info` is LAPACK's own code, kept for the bug report.
public enum LinearAlgebraError: Error, Equatable, CustomStringConvertible {
    /// The matrix was not positive definite (Cholesky stopped at this leading minor).
    case notPositiveDefinite(order: Int, minor: Int)
    /// The eigensolver did not converge or rejected an argument.
    case eigensolverFailed(routine: String, info: Int)
    case invalidArgument(routine: String, info: Int)

    public var description: String {
        switch self {
        case .notPositiveDefinite(let order, let minor):
            return "the \(order)×\(order) within-class scatter is not positive definite (leading minor \(minor)); "
                + "raise the regularisation alpha"
        case .eigensolverFailed(let routine, let info):
            return "\(routine) failed to converge (info \(info))"
        case .invalidArgument(let routine, let info):
            return "\(routine) rejected argument \(-info)"
        }
    }
}
