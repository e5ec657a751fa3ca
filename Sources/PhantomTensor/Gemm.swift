import CBLAS

/// Row-major single-precision matrix product `C = alpha * op(A) * op(B) + beta * C`
/// on one thread (see ``Parallel`` for who owns the cores).
///
/// `op(A)` is `m×k` and `op(B)` is `k×n`; `lda`, `ldb`, `ldc` are the row strides
/// of the matrices as stored (before transposition). `countsFlops: false` leaves the
/// product out of ``Profiler/gemmFlops``, for algorithms that count their nominal FLOPs.
@inline(__always)
public func gemm(
    transposeA: Bool = false, transposeB: Bool = false,
    m: Int, n: Int, k: Int,
    alpha: Float = 1,
    a: UnsafePointer<Float>, lda: Int,
    b: UnsafePointer<Float>, ldb: Int,
    beta: Float = 0,
    c: UnsafeMutablePointer<Float>, ldc: Int,
    countsFlops: Bool = true
) {
    if m == 0 || n == 0 { return }
    if countsFlops { Profiler.countFlops(2 * m * n * k) }
    if k == 0 {
        // BLAS leaves C untouched for k = 0 only when beta = 1; make it explicit.
        for row in 0..<m {
            let line = c + row * ldc
            for column in 0..<n { line[column] = beta == 0 ? 0 : beta * line[column] }
        }
        return
    }
    cblas_sgemm(
        CblasRowMajor,
        transposeA ? CblasTrans : CblasNoTrans,
        transposeB ? CblasTrans : CblasNoTrans,
        Int32(m), Int32(n), Int32(k),
        alpha, a, Int32(lda), b, Int32(ldb),
        beta, c, Int32(ldc))
}
