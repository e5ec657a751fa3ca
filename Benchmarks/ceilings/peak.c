// peak.c: the instruction ceilings of one core for fp32 and bf16 products (issue 19).
//
//   gcc -O3 Benchmarks/ceilings/peak.c -o /tmp/peak && /tmp/peak
//
// fp32: 12 independent chains of AVX-512 `vfmadd231ps` (16 lanes × 2 FLOPs each).
// bf16: 12 independent chains of AVX512-BF16 `vdpbf16ps` (16 lanes × 2 bf16 pairs × 2 FLOPs),
// the instruction bf16 GEMMs (oneDNN, PyTorch's autocast) use on CPUs without AMX.
// Twelve chains cover both instructions' latency on the cores measured. Prints GFLOP/s per
// core, best of three; run it on a quiet machine. Exits 1 on a CPU without AVX512-BF16.
#include <immintrin.h>
#include <stdio.h>
#include <time.h>

enum { chains = 12 };

static double seconds(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

__attribute__((target("avx512f,avx512bf16"))) static double bf16Rate(long iterations) {
    __m512 sums[chains];
    for (int i = 0; i < chains; i++) sums[i] = _mm512_setzero_ps();
    __m512bh a = (__m512bh)_mm512_set1_epi16(0x3f80), b = a;
    double start = seconds();
    for (long r = 0; r < iterations; r++) {
        for (int i = 0; i < chains; i++) sums[i] = _mm512_dpbf16_ps(sums[i], a, b);
        __asm__ volatile("" : "+v"(a), "+v"(b));   // keeps the operands opaque to the compiler
    }
    double elapsed = seconds() - start;
    float total = 0;
    for (int i = 0; i < chains; i++) total += _mm512_reduce_add_ps(sums[i]);
    if (total == 1) puts("");
    return iterations * chains * 64.0 / elapsed / 1e9;
}

__attribute__((target("avx512f,fma"))) static double fp32Rate(long iterations) {
    __m512 sums[chains];
    for (int i = 0; i < chains; i++) sums[i] = _mm512_setzero_ps();
    __m512 a = _mm512_set1_ps(1e-9f), b = a;
    double start = seconds();
    for (long r = 0; r < iterations; r++) {
        for (int i = 0; i < chains; i++) sums[i] = _mm512_fmadd_ps(a, b, sums[i]);
        __asm__ volatile("" : "+v"(a), "+v"(b));
    }
    double elapsed = seconds() - start;
    float total = 0;
    for (int i = 0; i < chains; i++) total += _mm512_reduce_add_ps(sums[i]);
    if (total == 1) puts("");
    return iterations * chains * 32.0 / elapsed / 1e9;
}

int main(void) {
    __builtin_cpu_init();
    if (!__builtin_cpu_supports("avx512bf16")) {
        fprintf(stderr, "error: this CPU has no AVX512-BF16\n");
        return 1;
    }
    double fp32 = 0, bf16 = 0;
    for (int round = 0; round < 3; round++) {
        double f = fp32Rate(200000000), b = bf16Rate(200000000);
        if (f > fp32) fp32 = f;
        if (b > bf16) bf16 = b;
    }
    printf("{\"fp32_fma_gflops_per_core\":%.1f,\"bf16_dot_gflops_per_core\":%.1f}\n", fp32, bf16);
    return 0;
}
