import PhantomLayers
import PhantomTensor
import PhantomTestSupport
import Testing

@Suite struct Conv2dTests {
    static func makeConv(_ inC: Int, _ outC: Int, kernel: Int, stride: Int,
                         pad: (Int, Int, Int, Int), seed: UInt64) -> Conv2d {
        let conv = Conv2d(inChannels: inC, outChannels: outC, kernel: kernel, stride: stride, pad: pad)
        conv.weight.value.copy(from: GradientCheck.random(conv.weight.shape, seed: seed, scale: 0.3))
        conv.bias.value.copy(from: GradientCheck.random([outC], seed: seed + 1))
        return conv
    }

    /// Direct convolution in Double, the reference for the GEMM lowering.
    static func direct(_ conv: Conv2d, _ x: Tensor) -> [Float] {
        let (n, c, h, w) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        let k = conv.kernel, s = conv.stride
        let oh = (h + conv.padTop + conv.padBottom - k) / s + 1
        let ow = (w + conv.padLeft + conv.padRight - k) / s + 1
        var out = [Float](repeating: 0, count: n * conv.outChannels * oh * ow)
        for b in 0..<n { for o in 0..<conv.outChannels { for y in 0..<oh { for xx in 0..<ow {
            var sum = Double(conv.bias.value.data[o])
            for i in 0..<c { for ky in 0..<k { for kx in 0..<k {
                let iy = y * s + ky - conv.padTop, ix = xx * s + kx - conv.padLeft
                if iy < 0 || iy >= h || ix < 0 || ix >= w { continue }
                sum += Double(x.data[((b * c + i) * h + iy) * w + ix])
                    * Double(conv.weight.value.data[((o * c + i) * k + ky) * k + kx])
            } } }
            out[((b * conv.outChannels + o) * oh + y) * ow + xx] = Float(sum)
        } } } }
        return out
    }

    static let cases: [(kernel: Int, stride: Int, pad: (Int, Int, Int, Int))] = [
        (3, 1, (1, 1, 1, 1)),   // the U-Net's 3×3 conv
        (3, 2, (1, 1, 1, 1)),   // downsample, downsample_padding = 1
        (3, 2, (0, 0, 1, 1)),   // downsample, downsample_padding = 0 (pad right/bottom)
        (1, 1, (0, 0, 0, 0)),   // 1×1 shortcut
    ]

    /// The GEMM lowering, and oneDNN's direct convolution (which any x86-64 CPU runs, in
    /// kernels for its instruction set), whatever the machine's automatic choice.
    static let algorithms: [Conv2d.Algorithm] = [.im2col, .direct]

    @Test(arguments: 0..<4, algorithms)
    func forwardMatchesDirectConvolution(caseIndex: Int, algorithm: Conv2d.Algorithm) {
        let c = Self.cases[caseIndex]
        let conv = Self.makeConv(3, 4, kernel: c.kernel, stride: c.stride, pad: c.pad, seed: 10)
        conv.algorithm = algorithm
        let x = GradientCheck.random([2, 3, 7, 6], seed: 11)
        let y = conv.forward(x)
        let expected = Self.direct(conv, x)
        #expect(y.count == expected.count)
        for (a, b) in zip(y.values, expected) { #expect(abs(a - b) <= 1e-4 * max(1, abs(b))) }
    }

    @Test(arguments: 0..<4, algorithms)
    func backwardMatchesFiniteDifferences(caseIndex: Int, algorithm: Conv2d.Algorithm) {
        let c = Self.cases[caseIndex]
        let conv = Self.makeConv(3, 4, kernel: c.kernel, stride: c.stride, pad: c.pad, seed: 20)
        conv.algorithm = algorithm
        let x = GradientCheck.random([2, 3, 6, 5], seed: 21)
        let y = conv.forward(x)
        let r = GradientCheck.random(y.shape, seed: 22)
        conv.zeroGradients()
        let dx = conv.backward(r).values
        GradientCheck().check(
            name: "conv\(c.kernel)x\(c.kernel)/\(c.stride) \(algorithm)",
            checked: [("x", x), ("weight", conv.weight.value), ("bias", conv.bias.value)],
            analytic: [dx, conv.weight.gradient.values, conv.bias.gradient.values],
            r: r, forward: { conv.forward(x) })
    }

    /// From 8 input channels the input gradient of a 3×3 "same" convolution is computed
    /// as a convolution with the flipped kernel (fewer channels use Wᵀ·dy and col2im).
    @Test func flippedKernelInputGradientMatchesFiniteDifferences() {
        let conv = Self.makeConv(8, 3, kernel: 3, stride: 1, pad: (1, 1, 1, 1), seed: 23)
        conv.algorithm = .im2col
        let x = GradientCheck.random([2, 8, 5, 4], seed: 24)
        let y = conv.forward(x)
        let r = GradientCheck.random(y.shape, seed: 25)
        conv.zeroGradients()
        let dx = conv.backward(r).values
        GradientCheck().check(name: "conv3x3 flipped", checked: [("x", x), ("weight", conv.weight.value)],
                              analytic: [dx, conv.weight.gradient.values], r: r, forward: { conv.forward(x) })
    }

    @Test(arguments: algorithms)
    func resultsAreBitIdenticalForAnyThreadCount(algorithm: Conv2d.Algorithm) {
        var runs: [[Float]] = []
        for threads in [1, 2, 3] {
            Parallel.withWorkers(threads) {
                let conv = Self.makeConv(4, 5, kernel: 3, stride: 1, pad: (1, 1, 1, 1), seed: 30)
                conv.algorithm = algorithm
                let x = GradientCheck.random([5, 4, 8, 8], seed: 31)
                let y = conv.forward(x)
                let dx = conv.backward(GradientCheck.random(y.shape, seed: 32))
                runs.append(y.values + dx.values + conv.weight.gradient.values + conv.bias.gradient.values)
            }
        }
        #expect(runs[0] == runs[1])
        #expect(runs[1] == runs[2])
    }

    /// An image's output and input gradient are the same alone as in a batch (the sampler's
    /// determinism rests on it); oneDNN's primitives take one image at a time. Wide layers
    /// (32 channels at 16×16, stride 1 and 2), so that its blocked kernels run.
    @Test(arguments: [1, 2])
    func directImageDoesNotDependOnTheBatch(stride: Int) {
        let conv = Self.makeConv(32, 48, kernel: 3, stride: stride, pad: (1, 1, 1, 1), seed: 33)
        conv.algorithm = .direct
        let batch = GradientCheck.random([3, 32, 16, 16], seed: 34)
        let y = conv.forward(batch)
        let dy = GradientCheck.random(y.shape, seed: 35)
        let dx = conv.backward(dy).values
        let (ys, dxs) = (y.values, dx)
        let outSize = y.count / 3, inSize = batch.count / 3
        let image = Tensor(shape: [1, 32, 16, 16], values: Array(batch.values[inSize..<2 * inSize]))
        let alone = conv.forward(image).values
        let aloneDx = conv.backward(Tensor(shape: [1] + Array(y.shape.dropFirst()),
                                           values: Array(dy.values[outSize..<2 * outSize]))).values
        #expect(alone == Array(ys[outSize..<2 * outSize]))
        #expect(aloneDx == Array(dxs[inSize..<2 * inSize]))
        #expect(zip(ys, Self.direct(conv, batch)).allSatisfy { abs($0 - $1) <= 1e-4 * max(1, abs($1)) })
    }

    /// oneDNN's Winograd in both passes (on AVX-512 CPUs; elsewhere the direct convolution it
    /// falls back to) gives the output and every gradient of the direct convolution, which
    /// the tests above check against the definition and finite differences, to Winograd's
    /// rounding; and bit-identical results for any thread count and alone or in a batch.
    /// (8 → 1 channels: each image's kernel gradient is 16 × 16 × 9 floats and its bias one,
    /// so only a padded stride between images keeps them on the 64-byte lines the kernels want.)
    @Test(arguments: [(32, 16, 12), (8, 1, 16)])
    func oneDNNWinogradAgreesWithDirectInBothPasses(inC: Int, outC: Int, side: Int) {
        func run(_ algorithm: Conv2d.Algorithm, threads: Int, images: Range<Int>) -> [Float] {
            Parallel.withWorkers(threads) {
                let conv = Self.makeConv(inC, outC, kernel: 3, stride: 1, pad: (1, 1, 1, 1), seed: 36)
                conv.algorithm = algorithm
                let all = GradientCheck.random([3, inC, side, side], seed: 37), size = all.count / 3
                let x = Tensor(shape: [images.count, inC, side, side],
                               values: Array(all.values[images.lowerBound * size..<images.upperBound * size]))
                let y = conv.forward(x)
                let dy = GradientCheck.random([3, outC, side, side], seed: 38), outSize = dy.count / 3
                let dx = conv.backward(Tensor(shape: y.shape, values: Array(
                    dy.values[images.lowerBound * outSize..<images.upperBound * outSize])))
                return y.values + dx.values + conv.weight.gradient.values + conv.bias.gradient.values
            }
        }
        let direct = run(.direct, threads: 2, images: 0..<3), winograd = run(.oneDNNWinograd, threads: 2, images: 0..<3)
        #expect(direct.count == winograd.count)
        let worst = zip(direct, winograd).map { abs($0 - $1) / max(1, abs($0)) }.max() ?? .infinity
        #expect(worst <= 1e-4, "largest relative difference \(worst)")
        #expect(run(.oneDNNWinograd, threads: 1, images: 0..<3) == winograd)
        // One image alone: its output and input gradient as in the batch.
        let alone = run(.oneDNNWinograd, threads: 2, images: 1..<2)
        let (outSize, inSize) = (outC * side * side, inC * side * side)
        #expect(Array(alone[0..<outSize]) == Array(winograd[outSize..<2 * outSize]))
        #expect(Array(alone[outSize..<outSize + inSize]) == Array(winograd[3 * outSize + inSize..<3 * outSize + 2 * inSize]))
    }
}
