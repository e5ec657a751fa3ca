/// Eigenvalues and eigenvectors of a real symmetric matrix by the cyclic Jacobi method
/// (Jacobi 1846; Golub & Van Loan, "Matrix Computations", §8.5, "cyclic-by-row Jacobi"),
/// in Float64, with no LAPACK.
///
/// Each sweep visits every off-diagonal pair (p, q), p < q, in row order and applies the
/// plane rotation that zeroes `a[p][q]`:
///
///     θ = (a_qq − a_pp) / (2 a_pq),   t = sign(θ) / (|θ| + √(θ² + 1)),   c = 1/√(t² + 1),   s = t·c
///     a_pp ← a_pp − t·a_pq,   a_qq ← a_qq + t·a_pq,   a_pq ← 0
///     a_kp ← c·a_kp − s·a_kq,   a_kq ← s·a_kp + c·a_kq   (k ≠ p, q; and symmetrically)
///
/// (the small-angle root t keeps the rotation stable). A rotation is skipped when a_pq is
/// negligible next to its diagonal entries, |a_pq| ≤ ε·√|a_pp·a_qq| (ε = 2⁻⁵²), or next to
/// the whole matrix, |a_pq| ≤ ε²·‖A‖_F; sweeps repeat until one rotates nothing, at most 50
/// (convergence is quadratic: 12–18 sweeps for the 256×256 covariances of the tests, the
/// last few rotating only a few pairs). The relative test is what gives small eigenvalues
/// their *relative* accuracy (Demmel & Veselić 1992, "Jacobi's method is more accurate than
/// QR"): a stop at ‖off(A)‖ ≤ 1e-12·‖A‖ leaves errors of 1e-12·λ_max in every eigenvalue,
/// which for λ ~ 1e-10·λ_max (FrechetDistance's Gram matrix has the squared spectrum of a
/// covariance) are 1% errors. Cost per sweep: n²/2 rotations of two rows and two columns,
/// ~3n³ multiply-adds, and as many again for the eigenvectors.
enum SymmetricEigen {
    /// The eigenvalues (in no particular order) and, if requested, the eigenvectors as the
    /// rows of an n×n row-major matrix: row k of `vectors` belongs to `values[k]`, so
    /// `A = Σ_k values[k] · v_k v_kᵀ`.
    struct Decomposition {
        var values: [Double]
        var vectors: [Double]?
    }

    /// Decomposes the symmetric n×n row-major `matrix` (only symmetric input is meaningful;
    /// the caller symmetrises).
    ///
    /// - Precondition: `matrix.count == n * n`.
    static func decompose(_ matrix: [Double], size n: Int, wantVectors: Bool) -> Decomposition {
        precondition(n >= 0 && matrix.count == n * n, "SymmetricEigen: \(matrix.count) values for \(n)×\(n)")
        var a = matrix
        var vectors = [Double](repeating: 0, count: wantVectors ? n * n : 0)
        if wantVectors { for k in 0..<n { vectors[k * n + k] = 1 } }
        let norm = frobeniusNorm(a)
        if n > 1 && norm > 0 && norm.isFinite {
            a.withUnsafeMutableBufferPointer { a in
                vectors.withUnsafeMutableBufferPointer { v in
                    let epsilon = Double.ulpOfOne, floor = epsilon * epsilon * norm
                    for _ in 0..<50 {
                        var rotated = false
                        for p in 0..<(n - 1) {
                            for q in (p + 1)..<n {
                                let apq = abs(a[p * n + q])
                                if apq <= floor || apq <= epsilon * abs(a[p * n + p] * a[q * n + q]).squareRoot() {
                                    continue
                                }
                                rotate(a, v, n, p, q, wantVectors: wantVectors)
                                rotated = true
                            }
                        }
                        if !rotated { break }
                    }
                }
            }
        }
        return Decomposition(values: (0..<n).map { a[$0 * n + $0] }, vectors: wantVectors ? vectors : nil)
    }

    /// The rotation in plane (p, q) that zeroes a[p][q], applied to `a` and to the rows p, q of `v`.
    @inline(__always)
    private static func rotate(_ a: UnsafeMutableBufferPointer<Double>, _ v: UnsafeMutableBufferPointer<Double>,
                               _ n: Int, _ p: Int, _ q: Int, wantVectors: Bool) {
        let apq = a[p * n + q], app = a[p * n + p], aqq = a[q * n + q]
        let theta = (aqq - app) / (2 * apq)
        let t: Double
        if abs(theta) > 1e150 {
            t = 0.5 / theta   // θ² would overflow; t ≈ 1/(2θ)
        } else {
            t = (theta >= 0 ? 1 : -1) / (abs(theta) + (theta * theta + 1).squareRoot())
        }
        let c = 1 / (t * t + 1).squareRoot(), s = t * c
        let rowP = a.baseAddress! + p * n, rowQ = a.baseAddress! + q * n
        // Row k of column p equals row p of column k (the matrix stays exactly symmetric),
        // so read the contiguous rows p and q and write both the rows and the columns.
        for k in 0..<n where k != p && k != q {
            let akp = rowP[k], akq = rowQ[k]
            let newP = c * akp - s * akq, newQ = s * akp + c * akq
            rowP[k] = newP
            rowQ[k] = newQ
            a[k * n + p] = newP
            a[k * n + q] = newQ
        }
        rowP[p] = app - t * apq
        rowQ[q] = aqq + t * apq
        rowP[q] = 0
        rowQ[p] = 0
        if wantVectors {
            let vp = v.baseAddress! + p * n, vq = v.baseAddress! + q * n
            for k in 0..<n {
                let x = vp[k], y = vq[k]
                vp[k] = c * x - s * y
                vq[k] = s * x + c * y
            }
        }
    }

    private static func frobeniusNorm(_ a: [Double]) -> Double {
        var sum = 0.0
        for x in a { sum += x * x }
        return sum.squareRoot()
    }
}
