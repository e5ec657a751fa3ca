import PhantomTensor
import Testing

/// Reference product in Double for checking the BLAS wrapper.
func naiveProduct(_ a: [Float], _ b: [Float], m: Int, n: Int, k: Int,
                  transposeA: Bool, transposeB: Bool) -> [Float] {
    var c = [Float](repeating: 0, count: m * n)
    for i in 0..<m {
        for j in 0..<n {
            var sum = 0.0
            for p in 0..<k {
                let av = transposeA ? a[p * m + i] : a[i * k + p]
                let bv = transposeB ? b[j * k + p] : b[p * n + j]
                sum += Double(av) * Double(bv)
            }
            c[i * n + j] = Float(sum)
        }
    }
    return c
}

func randomValues(_ count: Int, seed: UInt64) -> [Float] {
    let tensor = Tensor(zeros: [count])
    RandomStream(seed: seed).fillGaussian(tensor.data, count: count)
    return tensor.values
}

@Suite struct GemmTests {
    @Test(arguments: [(false, false), (true, false), (false, true), (true, true)])
    func gemmMatchesNaiveProduct(transposeA: Bool, transposeB: Bool) {
        let m = 7, n = 5, k = 9
        let a = randomValues(m * k, seed: 1), b = randomValues(k * n, seed: 2)
        var c = [Float](repeating: 0, count: m * n)
        gemm(transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k,
             a: a, lda: transposeA ? m : k, b: b, ldb: transposeB ? k : n, c: &c, ldc: n)
        let expected = naiveProduct(a, b, m: m, n: n, k: k, transposeA: transposeA, transposeB: transposeB)
        for (x, y) in zip(c, expected) { #expect(abs(x - y) <= 1e-4 * max(1, abs(y))) }
    }

    @Test func betaAccumulatesAndZeroKScalesC() {
        var c: [Float] = [1, 2]
        gemm(m: 1, n: 2, k: 1, a: [3], lda: 1, b: [1, 1], ldb: 2, beta: 1, c: &c, ldc: 2)
        #expect(c == [4, 5])
        gemm(m: 1, n: 2, k: 0, a: [0], lda: 1, b: [0], ldb: 2, beta: 0, c: &c, ldc: 2)
        #expect(c == [0, 0])
    }
}
