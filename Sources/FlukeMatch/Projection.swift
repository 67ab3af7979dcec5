import COpenBLAS

/// The learned linear map from pooled convnet features to the matching embedding:
/// PCA, then regularised LDA fitted on the catalog's own individuals, then L2 normalisation.
///
/// Why learn anything: frozen ImageNet features rank the right individual first for about a sixth
/// of right-whale queries; the LDA directions that separate the catalog's individuals from each
/// other roughly triple that (tools/research/README.md has the measurements). Why linear: the
/// station must refit it from its own catalog with nothing but BLAS and LAPACK, in seconds, and
/// apply it with one `sgemv`.
///
/// `embed(x) = normalize(W·x − b)`, with W (outputDimension × inputDimension, row-major) the
/// composition of the PCA basis and the LDA directions, and b = W·mean, so that centring costs
/// nothing at query time.
public struct Projection: Sendable, Equatable {
    public let inputDimension: Int
    public let outputDimension: Int
    /// Row-major outputDimension × inputDimension.
    public let weights: [Float]
    /// W·mean of the training features.
    public let bias: [Float]
    /// What was asked for, stored so a refit reproduces it.
    public let parameters: Parameters
    /// Number of PCA components actually kept (≤ parameters.pcaDimension, < training rows).
    public let pcaComponents: Int
    public let trainingRows: Int
    public let trainingIndividuals: Int

    public init(inputDimension: Int, outputDimension: Int, weights: [Float], bias: [Float], parameters: Parameters,
                pcaComponents: Int, trainingRows: Int, trainingIndividuals: Int) throws(ProjectionError)
    {
        guard inputDimension > 0, outputDimension > 0 else {
            throw .corruptHeader("dimensions must be positive (\(inputDimension) → \(outputDimension))")
        }
        guard weights.count == inputDimension * outputDimension else {
            throw .corruptHeader("\(weights.count) weights for a \(outputDimension)×\(inputDimension) matrix")
        }
        guard bias.count == outputDimension else {
            throw .corruptHeader("\(bias.count) bias values for \(outputDimension) outputs")
        }
        self.inputDimension = inputDimension
        self.outputDimension = outputDimension
        self.weights = weights
        self.bias = bias
        self.parameters = parameters
        self.pcaComponents = pcaComponents
        self.trainingRows = trainingRows
        self.trainingIndividuals = trainingIndividuals
    }

    /// The embedding of one feature vector: one `cblas_sgemv`, then L2 normalisation.
    public func apply(_ features: [Float]) throws(ProjectionError) -> [Float] {
        guard features.count == inputDimension else {
            throw .dimensionMismatch(expected: inputDimension, got: features.count)
        }
        var y = bias.map { -$0 }
        weights.withUnsafeBufferPointer { w in
            features.withUnsafeBufferPointer { x in
                y.withUnsafeMutableBufferPointer { out in
                    cblas_sgemv(CblasRowMajor, CblasNoTrans, Int32(outputDimension), Int32(inputDimension), 1,
                                w.baseAddress, Int32(inputDimension), x.baseAddress, 1, 1, out.baseAddress, 1)
                }
            }
        }
        y.withUnsafeMutableBufferPointer { VectorMath.normalize($0) }
        return y
    }

    /// The embeddings of many feature vectors at once: one `cblas_sgemm`, then L2 normalisation.
    public func apply(_ features: EmbeddingMatrix) throws(ProjectionError) -> EmbeddingMatrix {
        guard features.dimension == inputDimension else {
            throw .dimensionMismatch(expected: inputDimension, got: features.dimension)
        }
        let m = features.count, k = outputDimension
        guard m > 0 else { return EmbeddingMatrix(dimension: k) }
        var y = [Float](repeating: 0, count: m * k)
        for r in 0..<m { for j in 0..<k { y[r * k + j] = -bias[j] } }
        features.values.withUnsafeBufferPointer { x in
            weights.withUnsafeBufferPointer { w in
                y.withUnsafeMutableBufferPointer { out in
                    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(m), Int32(k), Int32(inputDimension), 1,
                                x.baseAddress, Int32(inputDimension), w.baseAddress, Int32(inputDimension),
                                1, out.baseAddress, Int32(k))
                }
            }
        }
        var result = EmbeddingMatrix(dimension: k, values: y)
        result.normalizeRows()
        return result
    }
}
