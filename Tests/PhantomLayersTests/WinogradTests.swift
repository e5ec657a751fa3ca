@testable import PhantomLayers
import PhantomTensor
import PhantomTestSupport
import Testing

/// The Winograd convolutions F(2×2, 3×3) and F(4×4, 3×3) against the direct
/// definition, finite differences, and the im2col path they replace.
@Suite struct WinogradTests {
    static func makeConv(_ inC: Int, _ outC: Int, seed: UInt64, algorithm: Conv2d.Algorithm) -> Conv2d {
        let conv = Conv2dTests.makeConv(inC, outC, kernel: 3, stride: 1, pad: (1, 1, 1, 1), seed: seed)
        conv.algorithm = algorithm
        return conv
    }

    @Test func automaticChoiceFollowsShapeAndLibrary() {
        func method(_ inC: Int, _ outC: Int, kernel: Int = 3, stride: Int = 1, size: Int,
                    _ backend: GemmBackend = .openBLAS, pass: Conv2d.Pass = .forward) -> String {
            let conv = Conv2d(inChannels: inC, outChannels: outC, kernel: kernel, stride: stride, padding: kernel / 2)
            switch conv.method(height: size, width: size, pass: pass, backend: backend) {
            case .im2col: return "im2col"
            case .oneDNN(.direct): return "direct"
            case .oneDNN(.winograd): return "oneDNN Winograd"
            case .winograd(let tiling): return "F\(tiling.outputTile)"
            }
        }
        #expect(method(32, 32, size: 32) == "F4")
        #expect(method(64, 32, size: 64) == "F4")
        #expect(method(16, 64, size: 64) == "im2col")   // K = 16 input channels
        #expect(method(64, 1, size: 64) == "F4")        // conv_out on large images
        #expect(method(32, 1, size: 32) == "im2col")
        #expect(method(64, 64, size: 16) == "F2")
        #expect(method(64, 64, size: 8) == "im2col")
        #expect(method(128, 128, size: 16) == "F2")
        #expect(method(256, 256, size: 8) == "F2")
        #expect(method(256, 256, size: 4) == "im2col")
        #expect(method(64, 64, stride: 2, size: 64) == "im2col")
        // oneDNN: its direct convolution, except Winograd on large images and between wide layers.
        #expect(method(32, 32, size: 32, .oneDNN) == "direct")
        #expect(method(64, 64, size: 64, .oneDNN) == "oneDNN Winograd")                       // training from 64×64
        #expect(method(64, 64, size: 64, .oneDNN, pass: .backward) == "oneDNN Winograd")
        #expect(method(64, 64, size: 64, .oneDNN, pass: .inference) == "oneDNN Winograd")   // sampling
        #expect(method(32, 32, size: 64, .oneDNN, pass: .inference) == "oneDNN Winograd")
        #expect(method(64, 1, size: 64, .oneDNN, pass: .inference) == "direct")
        #expect(method(64, 64, size: 8, .oneDNN, pass: .inference) == "oneDNN Winograd")      // ≤ 2¹⁷ weights
        #expect(method(128, 128, size: 16, .oneDNN, pass: .inference) == "direct")            // > 2¹⁷ weights
        #expect(method(256, 128, size: 32, .oneDNN, pass: .inference) == "oneDNN Winograd")  // from 32×32
        #expect(method(64, 64, stride: 2, size: 64, .oneDNN, pass: .inference) == "direct")
        #expect(method(64, 1, size: 64, .oneDNN) == "direct")
        #expect(method(1, 32, size: 64, .oneDNN) == "direct")
        #expect(method(256, 256, size: 8, .oneDNN) == "direct")
        #expect(method(64, 64, stride: 2, size: 64, .oneDNN) == "direct")
        #expect(method(128, 128, size: 32, .oneDNN) == "F4")
        #expect(method(256, 128, size: 32, .oneDNN) == "F4")
        #expect(method(128, 64, size: 32, .oneDNN) == "F4")      // from 2¹³ channel pairs, 64 each side
        #expect(method(64, 128, size: 32, .oneDNN, pass: .backward) == "F4")
        #expect(method(256, 32, size: 32, .oneDNN) == "direct")
        #expect(method(256, 32, size: 64, .oneDNN) == "oneDNN Winograd")
        #expect(method(128, 128, size: 16, .oneDNN) == "direct")
        #expect(method(128, 64, kernel: 1, size: 32, .oneDNN) == "im2col")   // 1×1: one GEMM
        // Backward keeps F(2×2) where the direct pass would hold large per-image kernel gradients.
        #expect(method(512, 256, size: 8, .oneDNN, pass: .backward) == "F2")
        #expect(method(512, 256, size: 8, .oneDNN) == "direct")
        #expect(method(128, 128, size: 16, .oneDNN, pass: .backward) == "direct")
        // A chosen algorithm holds whatever the shape and library.
        let forced = Conv2d(inChannels: 1, outChannels: 4, kernel: 3, padding: 1)
        forced.algorithm = .winogradF4
        if case .winograd(let tiling) = forced.method(height: 4, width: 4, backend: .oneDNN) {
            #expect(tiling.outputTile == 4)
        } else {
            Issue.record("forced F(4×4) not used")
        }
        forced.algorithm = .direct
        if case .oneDNN(.direct) = forced.method(height: 64, width: 64, backend: .openBLAS) {} else {
            Issue.record("forced direct convolution not used")
        }
    }

    static let tilings: [Conv2d.Algorithm] = [.winogradF2, .winogradF4]

    @Test(arguments: tilings, [[2, 5, 8, 8], [3, 5, 7, 6], [1, 5, 1, 3], [1, 5, 10, 13]])
    func forwardMatchesDirectConvolution(tiling: Conv2d.Algorithm, shape: [Int]) {
        let conv = Self.makeConv(5, 6, seed: 40, algorithm: tiling)
        let x = GradientCheck.random(shape, seed: 41)
        let y = conv.forward(x)
        let expected = Conv2dTests.direct(conv, x)
        #expect(y.shape == [shape[0], 6, shape[2], shape[3]])
        // F(4×4)'s transforms have coefficients up to 8 and 1/24: a few times F(2×2)'s rounding.
        let tolerance: Float = tiling == .winogradF4 ? 5e-5 : 1e-5
        for (a, b) in zip(y.values, expected) { #expect(abs(a - b) <= tolerance * max(1, abs(b))) }
    }

    @Test(arguments: tilings, [[2, 3, 6, 6], [2, 3, 5, 7]])
    func backwardMatchesFiniteDifferences(tiling: Conv2d.Algorithm, shape: [Int]) {
        let conv = Self.makeConv(3, 4, seed: 50, algorithm: tiling)
        let x = GradientCheck.random(shape, seed: 51)
        let y = conv.forward(x)
        let r = GradientCheck.random(y.shape, seed: 52)
        conv.zeroGradients()
        let dx = conv.backward(r).values
        GradientCheck().check(
            name: "\(tiling) \(shape)",
            checked: [("x", x), ("weight", conv.weight.value), ("bias", conv.bias.value)],
            analytic: [dx, conv.weight.gradient.values, conv.bias.gradient.values],
            r: r, forward: { conv.forward(x) })
    }

    /// Every output and gradient agrees with the im2col path to float rounding, on a
    /// batch large enough to be split into several groups of images.
    @Test(arguments: tilings)
    func agreesWithIm2colOnSeveralGroups(tiling: Conv2d.Algorithm) {
        let shape = [26, 16, 64, 62]   // groups of 13 (F2) or 50 (F4) images
        let x = GradientCheck.random(shape, seed: 61)
        let dy = GradientCheck.random([26, 20, 64, 62], seed: 62)
        var results: [[[Float]]] = []
        for algorithm in [Conv2d.Algorithm.im2col, tiling] {
            let conv = Self.makeConv(16, 20, seed: 60, algorithm: algorithm)
            let y = conv.forward(x).values
            let dx = conv.backward(dy).values
            results.append([y, dx, conv.weight.gradient.values, conv.bias.gradient.values])
        }
        for (reference, winograd) in zip(results[0], results[1]) {
            let scale = reference.map { abs($0) }.max() ?? 1
            let worst = zip(reference, winograd).map { abs($0 - $1) }.max() ?? 0
            #expect(worst <= 2e-5 * scale, "worst difference \(worst) at scale \(scale)")
        }
    }

    @Test(arguments: tilings)
    func resultsAreBitIdenticalForAnyThreadCount(tiling: Conv2d.Algorithm) {
        var runs: [[Float]] = []
        for threads in [1, 2, 3] {
            Parallel.withWorkers(threads) {
                let conv = Self.makeConv(16, 18, seed: 70, algorithm: tiling)
                let x = GradientCheck.random([5, 16, 9, 8], seed: 71)
                let y = conv.forward(x)
                let dx = conv.backward(GradientCheck.random(y.shape, seed: 72))
                runs.append(y.values + dx.values + conv.weight.gradient.values + conv.bias.gradient.values)
            }
        }
        #expect(runs[0] == runs[1])
        #expect(runs[1] == runs[2])
    }
}
