import PhantomDiffusion
import PhantomLayers
import PhantomTensor
import Testing

/// An image depends on its seed and index only: not on the thread count, the batch
/// size, or which other images are drawn with it.
@Suite(.serialized) struct SamplerDeterminismTests {
    static func model(convolution: Conv2d.Algorithm) -> UNet2D {
        var config = UNetConfig(sampleSize: 8, inChannels: 1, outChannels: 1,
                                downBlockTypes: [.plain, .attention], upBlockTypes: [.attention, .plain],
                                blockOutChannels: [4, 8], layersPerBlock: 1)
        config.normNumGroups = 2
        config.attentionHeadDim = 4
        config.numClassEmbeds = 3
        let unet = UNet2D(config: config)
        unet.initializeParameters(seed: 3)
        unet.setConvolutionAlgorithm(convolution)
        return unet
    }

    func draw(indices: [Int], labels: [Int], threads: Int, kind: SchedulerConfig.Kind, guidance: Float,
              convolution: Conv2d.Algorithm = .automatic) throws -> [[Float]] {
        let sampler = Sampler(unet: Self.model(convolution: convolution), scheduler: SchedulerConfig(kind: kind).makeScheduler(eta: 0.5),
                              nullClass: 2)
        let images = try Parallel.withWorkers(threads) {
            try sampler.sample(indices: indices, labels: labels, seed: 11, steps: 6, guidance: Guidance(scale: guidance))
        }
        let perImage = images.count / indices.count
        return (0..<indices.count).map { Array(images.values[($0 * perImage)..<(($0 + 1) * perImage)]) }
    }

    @Test(arguments: [SchedulerConfig.Kind.ddpm, .ddim, .dpmSolverMultistep])
    func sameSeedSameImagesForAnyThreadsAndBatch(kind: SchedulerConfig.Kind) throws {
        let all = try draw(indices: [0, 1, 2, 3], labels: [0, 1, 0, 1], threads: 2, kind: kind, guidance: 2)
        let oneThread = try draw(indices: [0, 1, 2, 3], labels: [0, 1, 0, 1], threads: 1, kind: kind, guidance: 2)
        #expect(all == oneThread)
        // Image 2 alone, and images 3 and 1 in another batch, equal their places above.
        #expect(try draw(indices: [2], labels: [0], threads: 2, kind: kind, guidance: 2)[0] == all[2])
        let pair = try draw(indices: [3, 1], labels: [1, 1], threads: 1, kind: kind, guidance: 2)
        #expect(pair[0] == all[3] && pair[1] == all[1])
        #expect(all[0] != all[2])  // different indices, different noise
        #expect(all.allSatisfy { image in image.allSatisfy { $0 >= -1 && $0 <= 1 } })
    }

    /// Winograd's products take the tiles of a whole group of images as columns, and oneDNN's
    /// primitives keep a transformed kernel from pass to pass; an image's result must still
    /// not depend on the batch it is drawn in or the thread count.
    @Test(arguments: [Conv2d.Algorithm.winogradF4, .oneDNNWinograd, .direct])
    func imagesDoNotDependOnTheBatch(convolution: Conv2d.Algorithm) throws {
        let all = try draw(indices: [0, 1, 2, 3, 4], labels: [0, 1, 0, 1, 2], threads: 2, kind: .ddim, guidance: 2,
                           convolution: convolution)
        #expect(try draw(indices: [2], labels: [0], threads: 1, kind: .ddim, guidance: 2, convolution: convolution)[0] == all[2])
        let pair = try draw(indices: [4, 1], labels: [2, 1], threads: 2, kind: .ddim, guidance: 2, convolution: convolution)
        #expect(pair[0] == all[4] && pair[1] == all[1])
    }
}
