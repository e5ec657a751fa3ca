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
/// covariances are singular (fewer images than feature dimensions). Here the trace comes
/// from symmetric matrices only: Σ₁Σ₂ is similar to A Σ₂ A with A = Σ₁^{1/2}, which is
/// symmetric positive semi-definite, so
///
///     tr((Σ₁Σ₂)^{1/2}) = Σ_k √max(λ_k, 0),   λ_k the eigenvalues of A Σ₂ A.
///
/// All eigen-decompositions are ``SymmetricEigen``'s cyclic Jacobi (no LAPACK), and A Σ₂ A
/// is not formed as such but in Σ₁'s eigenbasis, in factored form, for accuracy:
///
/// 1. Σ₁ = V diag(σ) Vᵀ, so A = V diag(√σ) Vᵀ and A Σ₂ A = V D W D Vᵀ with D = diag(√σ) and
///    W = Vᵀ Σ₂ V (Σ₂ in Σ₁'s eigenbasis).
/// 2. W = Q diag(τ) Qᵀ (τ are Σ₂'s eigenvalues). Then D W D = C Cᵀ with C = D Q diag(√τ).
/// 3. Eigenvalues at rounding level, ≤ d·ε·max (d the dimension, ε = 2⁻⁵², negative ones
///    included), are exact zeros that rounding moved (a set with fewer rows than dimensions
///    has rank < d) and are dropped from σ and from τ: C keeps r₁ rows and r₂ columns.
/// 4. The non-zero eigenvalues of A Σ₂ A are those of C Cᵀ, or of CᵀC when r₂ < r₁ (the
///    smaller Gram matrix, which has no structural zero eigenvalues), so
///    tr((Σ₁Σ₂)^{1/2}) = Σ √max(λ, 0) over that Gram matrix's eigenvalues (the nuclear norm of C).
///
/// Dropping the noise eigenvalues matters: their square roots, ~1e-8·√λ_max each, would bias
/// the trace by ~1e-8 relative (the error of `scipy.linalg.sqrtm` on singular covariances),
/// and thresholding the eigenvalues of A Σ₂ A itself instead would drop genuine ones, since
/// its spectrum spans the *square* of the covariances' condition number. With the factors,
/// singular and ill-conditioned fixtures match a 50-digit computation to ~1e-15, and both
/// argument orders agree to ~1e-15. When Σ₂ ≈ Σ₁ (samples close to the real distribution),
/// W and the Gram matrix are nearly diagonal and their Jacobi sweeps converge quickly. Cost:
/// one d×d decomposition with eigenvectors, two products of d×d matrices, a second d×d
/// decomposition with eigenvectors (fewer sweeps the closer Σ₂ is to Σ₁) and one of at most
/// d×d without: each Jacobi sweep is ~3d³ multiply-adds (+3d³ with eigenvectors), 10–20
/// sweeps; ~50 M multiply-adds a sweep for d = 256, ~0.8 M for d = 64.
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
    /// symmetric PSD matrix A Σ₂ A, A = Σ₁^{1/2}, in the factored form described on the type
    /// (symmetric eigen-decompositions by cyclic Jacobi; no LAPACK). Symmetric in its
    /// arguments up to rounding; a result that rounding makes negative (identical sets) is
    /// returned as 0.
    ///
    /// - Precondition: both matrices have the same dimension and at least 2 rows.
    public static func distance(_ a: FeatureMatrix, _ b: FeatureMatrix) -> Double {
        precondition(a.dimension == b.dimension, "FrechetDistance of \(a.dimension)- and \(b.dimension)-dimensional features")
        return distance(Statistics(a), Statistics(b))
    }

    /// The distance between two sets given by their statistics (the same computation as for
    /// two feature matrices).
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
        let root = traceOfProductRoot(a.covariance, b.covariance, size: d)
        return max(0, meanTerm + traces - 2 * root)
    }

    /// tr((Σ₁Σ₂)^{1/2}) for symmetric PSD d×d Σ₁, Σ₂, by steps 1–4 of the type's discussion.
    static func traceOfProductRoot(_ first: [Double], _ second: [Double], size d: Int) -> Double {
        let outer = SymmetricEigen.decompose(first, size: d, wantVectors: true)
        guard let v = outer.vectors else { return 0 }
        // W = Vᵀ Σ₂ V; row i of `v` is eigenvector i, so W[i][j] = v_i · (Σ₂ v_j) = (v_iᵀΣ₂) · v_j.
        let projected = multiply(v, second, size: d)   // row i: v_iᵀ Σ₂
        var w = [Double](repeating: 0, count: d * d)
        projected.withUnsafeBufferPointer { left in
            v.withUnsafeBufferPointer { right in
                for i in 0..<d {
                    for j in i..<d {
                        let value = dot(left.baseAddress! + i * d, right.baseAddress! + j * d, d)
                        w[i * d + j] = value
                        w[j * d + i] = value
                    }
                }
            }
        }
        let inner = SymmetricEigen.decompose(w, size: d, wantVectors: true)
        guard let q = inner.vectors else { return 0 }
        let rows = significantIndices(outer.values), columns = significantIndices(inner.values)
        let r1 = rows.count, r2 = columns.count
        if r1 == 0 || r2 == 0 { return 0 }
        // C[i][j] = √σ_i · (q_j)_i · √τ_j over the significant eigenvalues, r₁ × r₂.
        var c = [Double](repeating: 0, count: r1 * r2)
        for (row, i) in rows.enumerated() {
            let scale = outer.values[i].squareRoot()
            for (column, j) in columns.enumerated() {
                c[row * r2 + column] = scale * q[j * d + i] * inner.values[j].squareRoot()
            }
        }
        // The Gram matrix of the rows of C (r₁ ≤ r₂) or of its columns.
        let lines = r1 <= r2 ? c : transpose(c, rows: r1, columns: r2)
        let size = min(r1, r2), length = max(r1, r2)
        var gram = [Double](repeating: 0, count: size * size)
        lines.withUnsafeBufferPointer { m in
            for i in 0..<size {
                for j in i..<size {
                    let value = dot(m.baseAddress! + i * length, m.baseAddress! + j * length, length)
                    gram[i * size + j] = value
                    gram[j * size + i] = value
                }
            }
        }
        var trace = 0.0
        for lambda in SymmetricEigen.decompose(gram, size: size, wantVectors: false).values {
            trace += max(lambda, 0).squareRoot()
        }
        return trace
    }

    /// The indices of the eigenvalues of a PSD matrix above the rounding level n·ε·λ_max
    /// (n eigenvalues, ε = 2⁻⁵²), in order.
    static func significantIndices(_ eigenvalues: [Double]) -> [Int] {
        let threshold = Double(eigenvalues.count) * Double.ulpOfOne * max(eigenvalues.max() ?? 0, 0)
        return eigenvalues.indices.filter { eigenvalues[$0] > threshold }
    }

    /// a·b for n×n row-major matrices.
    private static func multiply(_ a: [Double], _ b: [Double], size n: Int) -> [Double] {
        var c = [Double](repeating: 0, count: n * n)
        a.withUnsafeBufferPointer { a in
            b.withUnsafeBufferPointer { b in
                c.withUnsafeMutableBufferPointer { c in
                    for i in 0..<n {
                        let ci = c.baseAddress! + i * n
                        for k in 0..<n {
                            let aik = a[i * n + k]
                            let bk = b.baseAddress! + k * n
                            for j in 0..<n { ci[j] += aik * bk[j] }
                        }
                    }
                }
            }
        }
        return c
    }

    private static func transpose(_ matrix: [Double], rows: Int, columns: Int) -> [Double] {
        var result = [Double](repeating: 0, count: matrix.count)
        for i in 0..<rows {
            for j in 0..<columns { result[j * rows + i] = matrix[i * columns + j] }
        }
        return result
    }

    @inline(__always)
    private static func dot(_ a: UnsafePointer<Double>, _ b: UnsafePointer<Double>, _ count: Int) -> Double {
        var sum = 0.0
        for t in 0..<count { sum += a[t] * b[t] }
        return sum
    }
}
