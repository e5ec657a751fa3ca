import Dispatch
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
    static let layouts = [(false, false), (true, false), (false, true), (true, true)]

    @Test(arguments: GemmBackend.allCases, layouts)
    func gemmMatchesNaiveProduct(backend: GemmBackend, layout: (Bool, Bool)) {
        let (transposeA, transposeB) = layout
        for (m, n, k) in [(7, 5, 9), (67, 129, 300)] {
            let a = randomValues(m * k, seed: 1), b = randomValues(k * n, seed: 2)
            var c = [Float](repeating: 0, count: m * n)
            gemm(on: backend, transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k,
                 a: a, lda: transposeA ? m : k, b: b, ldb: transposeB ? k : n, c: &c, ldc: n)
            let expected = naiveProduct(a, b, m: m, n: n, k: k, transposeA: transposeA, transposeB: transposeB)
            let worst = zip(c, expected).map { abs($0 - $1) / max(1, abs($1)) }.max()!
            #expect(worst <= 1e-4, "\(backend) \(m)×\(n)×\(k)")
        }
    }

    /// Strided operands and output, alpha and beta: C[:, 1..] = 0.5 A·B + 2 C, the padding untouched.
    @Test(arguments: GemmBackend.allCases)
    func stridesAlphaAndBeta(backend: GemmBackend) {
        let m = 6, n = 10, k = 11, lda = k + 3, ldb = n + 2, ldc = n + 4
        let a = randomValues(m * lda, seed: 3), b = randomValues(k * ldb, seed: 4)
        let start = randomValues(m * ldc, seed: 5)
        var c = start
        c.withUnsafeMutableBufferPointer { out in
            gemm(on: backend, m: m, n: n, k: k, alpha: 0.5, a: a, lda: lda, b: b, ldb: ldb, beta: 2,
                 c: out.baseAddress! + 1, ldc: ldc)
        }
        for row in 0..<m {
            for column in 0..<ldc {
                let index = row * ldc + column
                guard column >= 1 && column <= n else {
                    #expect(c[index] == start[index])
                    continue
                }
                var sum = 0.0
                for p in 0..<k { sum += Double(a[row * lda + p]) * Double(b[p * ldb + column - 1]) }
                let expected = Float(0.5 * sum) + 2 * start[index]
                #expect(abs(c[index] - expected) <= 1e-4 * max(1, abs(expected)))
            }
        }
    }

    @Test(arguments: GemmBackend.allCases)
    func betaAccumulatesAndZeroKScalesC(backend: GemmBackend) {
        var c: [Float] = [1, 2]
        gemm(on: backend, m: 1, n: 2, k: 1, a: [3], lda: 1, b: [1, 1], ldb: 2, beta: 1, c: &c, ldc: 2)
        #expect(c == [4, 5])
        gemm(on: backend, m: 1, n: 2, k: 0, a: [0], lda: 1, b: [0], ldb: 2, beta: 0, c: &c, ldc: 2)
        #expect(c == [0, 0])
    }

    /// Products from concurrent threads (as ``Parallel`` makes them) equal the same products made
    /// one after another, bit for bit: each call runs on its own thread with a fixed summation order.
    @Test(arguments: GemmBackend.allCases)
    func concurrentProductsEqualSerialOnes(backend: GemmBackend) {
        let m = 64, n = 96, k = 130, count = 6
        let a = randomValues(m * k, seed: 6)
        let bs = (0..<count).map { randomValues(k * n, seed: 10 + UInt64($0)) }
        let product: @Sendable (Int) -> [Float] = { index in
            var c = [Float](repeating: 0, count: m * n)
            gemm(on: backend, m: m, n: n, k: k, a: a, lda: k, b: bs[index], ldb: n, c: &c, ldc: n)
            return c
        }
        let serial = (0..<count).map(product)
        nonisolated(unsafe) var concurrent = [[Float]](repeating: [], count: count)
        concurrent.withUnsafeMutableBufferPointer { results in
            nonisolated(unsafe) let results = results
            DispatchQueue.concurrentPerform(iterations: count) { results[$0] = product($0) }
        }
        #expect(concurrent == serial)
    }

    @Test func automaticChoiceAvoidsOpenBLASGenericCores() {
        #expect(GemmBackend.automatic(openBLASCore: "Prescott", cpuHasAVX2FMA: true) == .oneDNN)
        #expect(GemmBackend.automatic(openBLASCore: "Nehalem", cpuHasAVX2FMA: true) == .oneDNN)
        #expect(GemmBackend.automatic(openBLASCore: "SkylakeX", cpuHasAVX2FMA: true) == .openBLAS)
        #expect(GemmBackend.automatic(openBLASCore: "Zen", cpuHasAVX2FMA: true) == .openBLAS)
        #expect(GemmBackend.automatic(openBLASCore: "Haswell", cpuHasAVX2FMA: true) == .openBLAS)
        // A CPU without AVX2 has nothing better than OpenBLAS's older kernels.
        #expect(GemmBackend.automatic(openBLASCore: "Prescott", cpuHasAVX2FMA: false) == .openBLAS)
    }

    @Test func selectionsNameTheLibraries() {
        #expect(GemmBackend.Selection.allCases.map(\.backend) == [nil, .openBLAS, .oneDNN])
        #expect(GemmBackend.Selection(rawValue: "onednn")?.backend == .oneDNN)
        #expect(GemmBackend.Selection(rawValue: "mkl") == nil)
    }
}
