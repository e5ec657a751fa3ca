import CBLAS
import CDNNL
import Synchronization

/// Row-major single-precision matrix product `C = alpha * op(A) * op(B) + beta * C`
/// on one thread (see ``Parallel`` for who owns the cores), by `backend` (default:
/// ``GemmBackend/current``).
///
/// `op(A)` is `m×k` and `op(B)` is `k×n`; `lda`, `ldb`, `ldc` are the row strides
/// of the matrices as stored (before transposition). `countsFlops: false` leaves the
/// product out of ``Profiler/gemmFlops``, for algorithms that count their nominal FLOPs.
public func gemm(
    on backend: GemmBackend = .current,
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
    switch backend {
    case .openBLAS:
        cblas_sgemm(
            CblasRowMajor,
            transposeA ? CblasTrans : CblasNoTrans,
            transposeB ? CblasTrans : CblasNoTrans,
            Int32(m), Int32(n), Int32(k),
            alpha, a, Int32(lda), b, Int32(ldb),
            beta, c, Int32(ldc))
    case .oneDNN:
        let status = phantom_dnnl_sgemm(
            CChar(UInt8(ascii: transposeA ? "T" : "N")), CChar(UInt8(ascii: transposeB ? "T" : "N")),
            Int64(m), Int64(n), Int64(k), alpha, a, Int64(lda), b, Int64(ldb), beta, c, Int64(ldc))
        precondition(status == dnnl_success, "dnnl_sgemm failed (status \(status.rawValue)) for \(m)×\(n)×\(k)")
    }
}

/// The library that computes ``gemm(on:transposeA:transposeB:m:n:k:alpha:a:lda:b:ldb:beta:c:ldc:countsFlops:)``'s products.
///
/// Both run single-threaded under ``Parallel``. Their sums run in different orders, so
/// results agree to rounding, not bit for bit: the choice is a fixed function of the
/// machine (``automatic(openBLASCore:cpuHasAVX2FMA:)``) unless a command's `--gemm` sets it,
/// and same-seed runs on one machine stay byte-identical.
public enum GemmBackend: String, CaseIterable, Sendable {
    /// OpenBLAS's `cblas_sgemm` (Debian: libopenblas-dev).
    case openBLAS = "openblas"
    /// oneDNN's `dnnl_sgemm` (Debian: libdnnl-dev), which picks its kernels from the CPU's features.
    case oneDNN = "onednn"

    /// OpenBLAS's x86-64 cores whose sgemm kernels use AVX2 or AVX-512 FMA (`openblas_get_corename()`, lower-cased).
    static let vectorCores: Set<String> = ["haswell", "zen", "skylakex", "cooperlake", "sapphirerapids"]

    /// OpenBLAS, unless it runs older kernels than the CPU has; then oneDNN.
    ///
    /// OpenBLAS picks its kernels by CPU model, and a model newer than the library gets a
    /// generic core. Measured (`Benchmarks/README.md`, "GEMM backend"): on an Intel Xeon of
    /// family 6 model 207 (AVX-512), Debian 12's OpenBLAS 0.3.21 reports "Prescott" and its
    /// single-threaded sgemm reaches 28–33 GFLOP/s, against 111–170 for oneDNN's `dnnl_sgemm`
    /// (and 114–151 for OpenBLAS's own SkylakeX kernels when forced by `OPENBLAS_CORETYPE`).
    ///
    /// - Parameters:
    ///   - openBLASCore: the core OpenBLAS chose, as `openblas_get_corename()` names it.
    ///   - cpuHasAVX2FMA: whether the CPU runs AVX2 and FMA3.
    public static func automatic(openBLASCore: String, cpuHasAVX2FMA: Bool) -> GemmBackend {
        cpuHasAVX2FMA && !vectorCores.contains(openBLASCore.lowercased()) ? .oneDNN : .openBLAS
    }

    /// The automatic choice on this machine.
    public static var automaticHere: GemmBackend {
        let core = openblas_get_corename().map { String(cString: $0) } ?? ""
        return automatic(openBLASCore: core, cpuHasAVX2FMA: phantom_cpu_has_avx2_fma() != 0)
    }

    /// A choice of library as a user names it: one of them, or ``automaticHere``'s.
    public enum Selection: String, CaseIterable, Sendable {
        case auto, openblas, onednn

        /// The library chosen, or nil for the machine's automatic choice.
        public var backend: GemmBackend? { GemmBackend(rawValue: rawValue) }
    }

    private static let selected = Atomic<Int>(-1)

    /// The library ``gemm(on:transposeA:transposeB:m:n:k:alpha:a:lda:b:ldb:beta:c:ldc:countsFlops:)`` uses:
    /// the one ``select(_:)`` set, else ``automaticHere``.
    public static var current: GemmBackend {
        let index = selected.load(ordering: .relaxed)
        return index >= 0 ? allCases[index] : select(.auto)
    }

    /// Sets the library every later product uses and returns it.
    @discardableResult
    public static func select(_ selection: Selection) -> GemmBackend {
        let choice = selection.backend ?? automaticHere
        selected.store(allCases.firstIndex(of: choice)!, ordering: .relaxed)
        return choice
    }
}
