/// The Fréchet distance between Gaussians fitted to two sets of feature vectors (the
/// "FID" of Heusel et al. 2017, "GANs Trained by a Two Time-Scale Update Rule Converge to
/// a Local Nash Equilibrium", when the features come from Inception-v3; Phantom uses its
/// own domain feature network):
///
///     d² = ‖μ₁ − μ₂‖² + tr(Σ₁ + Σ₂ − 2 (Σ₁Σ₂)^{1/2})
///
/// with μ the mean and Σ the unbiased covariance (divided by n − 1, as `numpy.cov`) of each
/// set, all in Float64. This is the squared 2-Wasserstein distance between the two normal
/// distributions (Dowson & Landau 1982, "The Fréchet distance between multivariate normal
/// distributions").
///
/// The standard FID code (pytorch-fid, `scipy.linalg.sqrtm(Σ₁·Σ₂)`) takes the square root
/// of a non-symmetric matrix and can return complex values or lose accuracy when the
/// covariances are singular (fewer images than feature dimensions). Here the trace is
/// computed from symmetric matrices only: Σ₁Σ₂ is similar to A Σ₂ A with A = Σ₁^{1/2}
/// (A Σ₂ A = A⁻¹(Σ₁Σ₂)A when A is invertible, and by continuity otherwise), which is
/// symmetric positive semi-definite, so
///
///     tr((Σ₁Σ₂)^{1/2}) = Σ_k √max(λ_k, 0),   λ_k the eigenvalues of A Σ₂ A,
///
/// with A = V diag(√max(σ, 0)) Vᵀ from the eigen-decomposition Σ₁ = V diag(σ) Vᵀ. Both
/// decompositions use ``SymmetricEigen`` (cyclic Jacobi): ~1 ms for 64 dimensions, ~0.1 s
/// for 256 (release build).
public enum FrechetDistance {
    /// The mean and unbiased covariance of a set of feature vectors, which is all the
    /// distance needs: compute it once for a reference set and reuse it.
    public struct Statistics: Sendable, Equatable {
        /// The feature dimension d.
        public let dimension: Int
        /// μ, d values.
        public let mean: [Double]
        /// Σ = Σ_i (x_i − μ)(x_i − μ)ᵀ / (n − 1), d×d row-major, exactly symmetric.
        public let covariance: [Double]

        /// The statistics of the rows of `features`.
        ///
        /// - Precondition: `features.rows >= 2`.
        public init(_ features: FeatureMatrix) {
            precondition(features.rows >= 2, "FrechetDistance needs at least 2 feature vectors, got \(features.rows)")
            let n = features.rows, d = features.dimension
            var mean = [Double](repeating: 0, count: d)
            var covariance = [Double](repeating: 0, count: d * d)
            features.values.withUnsafeBufferPointer { x in
                for row in 0..<n {
                    for j in 0..<d { mean[j] += x[row * d + j] }
                }
                for j in 0..<d { mean[j] /= Double(n) }
                var centred = [Double](repeating: 0, count: d)
                covariance.withUnsafeMutableBufferPointer { c in
                    for row in 0..<n {
                        for j in 0..<d { centred[j] = x[row * d + j] - mean[j] }
                        // Upper triangle only; mirrored below.
                        for i in 0..<d {
                            let xi = centred[i]
                            for j in i..<d { c[i * d + j] += xi * centred[j] }
                        }
                    }
                    let scale = 1 / Double(n - 1)
                    for i in 0..<d {
                        for j in i..<d {
                            c[i * d + j] *= scale
                            c[j * d + i] = c[i * d + j]
                        }
                    }
                }
            }
            self.dimension = d
            self.mean = mean
            self.covariance = covariance
        }
    }

    /// ‖μ₁−μ₂‖² + tr(Σ₁ + Σ₂ − 2(Σ₁Σ₂)^{1/2}) with unbiased (n−1) covariances, all in Float64.
    ///
    /// tr((Σ₁Σ₂)^{1/2}) is computed stably as Σ √max(λ, 0) over the eigenvalues λ of the
    /// symmetric PSD matrix A Σ₂ A, A = Σ₁^{1/2} (symmetric eigen-decomposition by cyclic
    /// Jacobi; no LAPACK). Symmetric in its arguments up to rounding; a result that rounding
    /// makes negative (identical sets) is returned as 0.
    ///
    /// - Precondition: both matrices have the same dimension and at least 2 rows.
    public static func distance(_ a: FeatureMatrix, _ b: FeatureMatrix) -> Double {
        precondition(a.dimension == b.dimension, "FrechetDistance of \(a.dimension)- and \(b.dimension)-dimensional features")
        return distance(Statistics(a), Statistics(b))
    }

    /// The distance between two sets given by their statistics (the same computation as for two feature matrices).
    ///
    /// - Precondition: `a.dimension == b.dimension`.
    public static func distance(_ a: Statistics, _ b: Statistics) -> Double {
        precondition(a.dimension == b.dimension, "FrechetDistance of \(a.dimension)- and \(b.dimension)-dimensional features")
        let d = a.dimension
        var meanTerm = 0.0, traces = 0.0
        for j in 0..<d {
            let difference = a.mean[j] - b.mean[j]
            meanTerm += difference * difference
            traces += a.covariance[j * d + j] + b.covariance[j * d + j]
        }
        let root = squareRoot(symmetric: a.covariance, size: d)
        let product = symmetricProduct(root, b.covariance, size: d)
        let eigenvalues = SymmetricEigen.decompose(product, size: d, wantVectors: false).values
        var traceOfRoot = 0.0
        for lambda in eigenvalues { traceOfRoot += max(lambda, 0).squareRoot() }
        return max(0, meanTerm + traces - 2 * traceOfRoot)
    }

    /// S^{1/2} = V diag(√max(σ, 0)) Vᵀ for the symmetric PSD n×n matrix S = V diag(σ) Vᵀ.
    static func squareRoot(symmetric matrix: [Double], size n: Int) -> [Double] {
        let eigen = SymmetricEigen.decompose(matrix, size: n, wantVectors: true)
        guard let vectors = eigen.vectors else { return matrix }
        var root = [Double](repeating: 0, count: n * n)
        root.withUnsafeMutableBufferPointer { r in
            vectors.withUnsafeBufferPointer { v in
                for k in 0..<n {
                    let scale = max(eigen.values[k], 0).squareRoot()
                    if scale == 0 { continue }
                    let vk = v.baseAddress! + k * n
                    for i in 0..<n {
                        let factor = scale * vk[i]
                        for j in i..<n { r[i * n + j] += factor * vk[j] }
                    }
                }
                for i in 0..<n {
                    for j in (i + 1)..<n { r[j * n + i] = r[i * n + j] }
                }
            }
        }
        return root
    }

    /// A·B·A for symmetric n×n A and B, symmetrised ((M + Mᵀ)/2) against rounding.
    static func symmetricProduct(_ a: [Double], _ b: [Double], size n: Int) -> [Double] {
        var ab = [Double](repeating: 0, count: n * n)
        var result = [Double](repeating: 0, count: n * n)
        a.withUnsafeBufferPointer { a in
            b.withUnsafeBufferPointer { b in
                ab.withUnsafeMutableBufferPointer { ab in
                    multiply(a.baseAddress!, b.baseAddress!, into: ab.baseAddress!, n)
                    result.withUnsafeMutableBufferPointer { m in
                        multiply(UnsafePointer(ab.baseAddress!), a.baseAddress!, into: m.baseAddress!, n)
                        for i in 0..<n {
                            for j in (i + 1)..<n {
                                let mean = 0.5 * (m[i * n + j] + m[j * n + i])
                                m[i * n + j] = mean
                                m[j * n + i] = mean
                            }
                        }
                    }
                }
            }
        }
        return result
    }

    /// c = a·b for n×n row-major matrices (c zero on entry).
    private static func multiply(_ a: UnsafePointer<Double>, _ b: UnsafePointer<Double>,
                                 into c: UnsafeMutablePointer<Double>, _ n: Int) {
        for i in 0..<n {
            let ci = c + i * n
            for k in 0..<n {
                let aik = a[i * n + k]
                if aik == 0 { continue }
                let bk = b + k * n
                for j in 0..<n { ci[j] += aik * bk[j] }
            }
        }
    }
}
