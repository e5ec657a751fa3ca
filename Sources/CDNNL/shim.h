// oneDNN (Debian: libdnnl-dev): its C API, and its GEMM and primitives run on the calling thread.
#include <oneapi/dnnl/dnnl.h>

// Debian's oneDNN runs its kernels in OpenMP teams (DNNL_CPU_RUNTIME_OMP). Phantom's
// Dispatch workers own the cores, so every calling thread asks for a team of one.
// Declared here because Swift's clang does not see gcc's <omp.h>.
extern void omp_set_num_threads(int);

/// Makes oneDNN run on the calling thread alone, from now on. Call before creating or
/// executing a primitive on a thread: primitives size their work for the team they are
/// created in.
static inline void phantom_dnnl_use_calling_thread(void) {
    static __thread int singleThreaded = 0;
    if (!singleThreaded) {
        omp_set_num_threads(1);
        singleThreaded = 1;
    }
}

/// Row-major `C = alpha op(A) op(B) + beta C` by `dnnl_sgemm`, on this thread only.
static inline dnnl_status_t phantom_dnnl_sgemm(
    char transa, char transb, dnnl_dim_t m, dnnl_dim_t n, dnnl_dim_t k, float alpha,
    const float *a, dnnl_dim_t lda, const float *b, dnnl_dim_t ldb, float beta, float *c, dnnl_dim_t ldc)
{
    phantom_dnnl_use_calling_thread();
    return dnnl_sgemm(transa, transb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}

/// Whether this CPU executes AVX2 and FMA3 instructions.
static inline int phantom_cpu_has_avx2_fma(void) {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
}
