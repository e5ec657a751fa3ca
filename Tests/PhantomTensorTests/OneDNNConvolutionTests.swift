import PhantomTensor
import Testing

/// oneDNN's direct convolution has primitives for every convolution shape of the presets,
/// so `Conv2d`'s `.direct` does not quietly fall back to im2col; and one image's forward
/// pass equals the definition.
@Suite struct OneDNNConvolutionTests {
    /// A convolution of `size × size` images from `inC` to `outC` channels, "same" padding.
    struct Shape: Sendable {
        let geometry: ConvGeometry, outChannels: Int
        var outHeight: Int { geometry.outHeight }
        var outWidth: Int { geometry.outWidth }
    }

    static func shape(_ inC: Int, _ outC: Int, kernel: Int = 3, stride: Int = 1, size: Int) -> Shape {
        let pad = kernel / 2
        return Shape(geometry: ConvGeometry(channels: inC, height: size, width: size, kernel: kernel, stride: stride,
                                            padTop: pad, padLeft: pad, padBottom: pad, padRight: pad),
                     outChannels: outC)
    }

    @Test(arguments: [shape(1, 32, size: 64), shape(32, 32, size: 32), shape(64, 64, stride: 2, size: 16),
                      shape(256, 256, size: 8), shape(64, 1, size: 64), shape(3, 5, kernel: 5, size: 7)])
    func primitivesExistForBothPasses(shape: Shape) throws {
        let convolution = try #require(OneDNNConvolution(shape.geometry, outChannels: shape.outChannels))
        #expect(convolution.prepareBackward(workers: 2))
        // Winograd, where the CPU has it, in both passes too.
        if shape.geometry.kernel == 3 && shape.geometry.stride == 1 && min(shape.geometry.channels, shape.outChannels) >= 32,
           let winograd = OneDNNConvolution(shape.geometry, outChannels: shape.outChannels, algorithm: .winograd) {
            #expect(winograd.prepareBackward(workers: 2))
        }
        #expect(convolution.packedKernelGradientCount >= shape.outChannels * shape.geometry.columnRows)
    }

    /// Direct (stride 2 here), and Winograd where oneDNN has it (AVX-512 CPUs).
    @Test(arguments: [OneDNNConvolution.Algorithm.direct, .winograd])
    func forwardMatchesTheDefinition(algorithm: OneDNNConvolution.Algorithm) throws {
        let stride = algorithm == .direct ? 2 : 1
        let (inC, outC) = algorithm == .direct ? (3, 4) : (16, 32)   // Winograd's kernels want blocks of 16
        let shape = Self.shape(inC, outC, stride: stride, size: 7)
        guard let convolution = OneDNNConvolution(shape.geometry, outChannels: outC, algorithm: algorithm) else {
            #expect(algorithm == .winograd, "oneDNN has no direct convolution for \(shape)")
            return
        }
        let x: [Float] = (0..<(inC * 49)).map { (index: Int) -> Float in Float((index * 37) % 11 - 5) }
        let w: [Float] = (0..<(outC * inC * 9)).map { (index: Int) -> Float in Float((index * 13) % 7 - 3) }
        let bias: [Float] = (0..<outC).map { (index: Int) -> Float in Float(index % 4) - 1.5 }
        let workspace = Workspace()
        let packed = UnsafeMutablePointer<Float>.allocate(capacity: convolution.packedWeightCount)
        defer { packed.deallocate() }
        var y = [Float](repeating: .nan, count: outC * shape.outHeight * shape.outWidth)
        let kernel = w.withUnsafeBufferPointer {
            convolution.prepareForward(workers: 1, weights: $0.baseAddress!, packedInto: packed)
        }
        workspace.withScratch {
            let scratch = workspace.perWorker(slots: 3, counts: convolution.forwardScratchCounts)
            x.withUnsafeBufferPointer { x in
                bias.withUnsafeBufferPointer { b in
                    y.withUnsafeMutableBufferPointer { y in
                        convolution.forward(image: x.baseAddress!, packedWeights: kernel, bias: b.baseAddress!,
                                            into: y.baseAddress!, worker: 0, scratch: scratch)
                    }
                }
            }
        }
        for o in 0..<outC { for oy in 0..<shape.outHeight { for ox in 0..<shape.outWidth {
            var sum: Float = bias[o]
            for i in 0..<inC { for ky in 0..<3 { for kx in 0..<3 {
                let iy: Int = oy * stride + ky - 1, ix: Int = ox * stride + kx - 1
                guard iy >= 0 && iy < 7 && ix >= 0 && ix < 7 else { continue }
                let input: Float = x[(i * 7 + iy) * 7 + ix], weight: Float = w[((o * inC + i) * 3 + ky) * 3 + kx]
                sum += input * weight
            } } }
            // Small integers: every product and sum is exact in any order (Winograd's
            // transforms round).
            #expect(abs(y[(o * shape.outHeight + oy) * shape.outWidth + ox] - sum) <= (algorithm == .direct ? 0 : 1e-4 * max(1, abs(sum))))
        } } }
    }
}
