import PhantomLayers
import PhantomTensor
import PhantomTestSupport
import Testing

/// The Winograd F(2×2, 3×3) convolution against the direct definition, finite
/// differences, and the im2col path it replaces.
@Suite struct WinogradTests {
    static func makeConv(_ inC: Int, _ outC: Int, seed: UInt64, algorithm: Conv2d.Algorithm) -> Conv2d {
        let conv = Conv2dTests.makeConv(inC, outC, kernel: 3, stride: 1, pad: (1, 1, 1, 1), seed: seed)
        conv.algorithm = algorithm
        return conv
    }

    @Test func automaticChoiceFollowsShape() {
        func choice(_ inC: Int, _ outC: Int, stride: Int = 1, size: Int) -> (Bool, Bool) {
            let conv = Conv2d(inChannels: inC, outChannels: outC, kernel: 3, stride: stride, padding: 1)
            return (conv.prefersWinograd(height: size, width: size, backward: false),
                    conv.prefersWinograd(height: size, width: size, backward: true))
        }
        #expect(choice(64, 64, size: 64) == (true, true))
        #expect(choice(32, 32, size: 32) == (false, false))    // forward K = 32 channels
        #expect(choice(32, 32, size: 64) == (false, true))
        #expect(choice(16, 16, size: 32) == (false, false))
        #expect(choice(256, 256, size: 8) == (false, false))  // 16 tiles per image for 256 channels
        #expect(choice(64, 64, stride: 2, size: 64) == (false, false))
        let forced = Conv2d(inChannels: 1, outChannels: 4, kernel: 3, padding: 1)
        forced.algorithm = .winograd
        #expect(forced.prefersWinograd(height: 4, width: 4, backward: false))
    }

    /// Even and odd sizes (partial tiles on the right and bottom), one and several images.
    @Test(arguments: [[2, 5, 8, 8], [3, 5, 7, 6], [1, 5, 1, 3]])
    func forwardMatchesDirectConvolution(shape: [Int]) {
        let conv = Self.makeConv(5, 6, seed: 40, algorithm: .winograd)
        let x = GradientCheck.random(shape, seed: 41)
        let y = conv.forward(x)
        let expected = Conv2dTests.direct(conv, x)
        #expect(y.shape == [shape[0], 6, shape[2], shape[3]])
        for (a, b) in zip(y.values, expected) { #expect(abs(a - b) <= 1e-5 * max(1, abs(b))) }
    }

    @Test(arguments: [[2, 3, 6, 6], [2, 3, 5, 7]])
    func backwardMatchesFiniteDifferences(shape: [Int]) {
        let conv = Self.makeConv(3, 4, seed: 50, algorithm: .winograd)
        let x = GradientCheck.random(shape, seed: 51)
        let y = conv.forward(x)
        let r = GradientCheck.random(y.shape, seed: 52)
        conv.zeroGradients()
        let dx = conv.backward(r).values
        GradientCheck().check(
            name: "winograd \(shape)",
            checked: [("x", x), ("weight", conv.weight.value), ("bias", conv.bias.value)],
            analytic: [dx, conv.weight.gradient.values, conv.bias.gradient.values],
            r: r, forward: { conv.forward(x) })
    }

    /// Every output and gradient agrees with the im2col path to float rounding, on a
    /// batch large enough to be split into several groups of images.
    @Test func agreesWithIm2colOnSeveralGroups() {
        let shape = [26, 16, 64, 62]   // 992 tiles per image: groups of 13 images
        let x = GradientCheck.random(shape, seed: 61)
        let dy = GradientCheck.random([26, 20, 64, 62], seed: 62)
        var results: [[[Float]]] = []
        for algorithm in [Conv2d.Algorithm.im2col, .winograd] {
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

    @Test func resultsAreBitIdenticalForAnyThreadCount() {
        var runs: [[Float]] = []
        for threads in [1, 2, 3] {
            Parallel.configure(threads: threads)
            let conv = Self.makeConv(16, 18, seed: 70, algorithm: .winograd)
            let x = GradientCheck.random([5, 16, 9, 8], seed: 71)
            let y = conv.forward(x)
            let dx = conv.backward(GradientCheck.random(y.shape, seed: 72))
            runs.append(y.values + dx.values + conv.weight.gradient.values + conv.bias.gradient.values)
        }
        Parallel.configure(threads: nil)
        #expect(runs[0] == runs[1])
        #expect(runs[1] == runs[2])
    }
}
