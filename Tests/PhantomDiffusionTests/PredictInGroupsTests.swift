import PhantomDiffusion
import PhantomLayers
import PhantomTensor
import Testing

/// `UNet2D.predict` sends a batch through the network a few images at a time: the same
/// outputs bit for bit as one pass, with less memory held.
@Suite(.serialized) struct PredictInGroupsTests {
    static func model() -> UNet2D {
        var config = UNetConfig(sampleSize: 8, inChannels: 1, outChannels: 1,
                                downBlockTypes: [.plain, .attention], upBlockTypes: [.attention, .plain],
                                blockOutChannels: [8, 16], layersPerBlock: 1)
        config.normNumGroups = 2
        config.attentionHeadDim = 4
        config.numClassEmbeds = 3
        let unet = UNet2D(config: config)
        unet.initializeParameters(seed: 5)
        return unet
    }

    static let batch = 5
    static let sample: Tensor = {
        let x = Tensor(zeros: [batch, 1, 8, 8])
        RandomStream(seed: 3).fillGaussian(x.data, count: x.count)
        return x
    }()
    static let timesteps: [Float] = [999, 500, 3, 250, 700]
    static let labels = [0, 2, 1, 1, 0]

    @Test(arguments: [1, 2, 3, 5, 8]) func groupsGiveTheOnePassOutputs(imagesPerPass: Int) {
        let whole = Self.model()
        let expected = whole.forward(Self.sample, timesteps: Self.timesteps, classLabels: Self.labels,
                                     keepForBackward: false).values
        let grouped = Self.model()
        grouped.imagesPerPass = imagesPerPass
        let output = grouped.predict(Self.sample, timesteps: Self.timesteps, classLabels: Self.labels)
        #expect(output.shape == [Self.batch, 1, 8, 8])
        #expect(output.values == expected)
        // A second call reuses the buffers and still gives the same outputs.
        #expect(grouped.predict(Self.sample, timesteps: Self.timesteps, classLabels: Self.labels).values == expected)
    }

    @Test func smallerGroupsLendLessMemory() {
        func peakLent(imagesPerPass: Int) -> Int {
            let unet = Self.model()
            unet.imagesPerPass = imagesPerPass
            _ = unet.predict(Self.sample, timesteps: Self.timesteps, classLabels: Self.labels)
            return unet.workingBytes.poolPeakLent
        }
        #expect(peakLent(imagesPerPass: 1) * 3 < peakLent(imagesPerPass: 5))
    }

    @Test func theDefaultBoundsTheFirstLevelsActivation() {
        #expect(UNet2D.defaultImagesPerPass(UNetConfig(preset: .small)) == 4)
        #expect(UNet2D.defaultImagesPerPass(UNetConfig(preset: .tiny)) == 32)
        #expect(UNet2D.defaultImagesPerPass(UNetConfig(preset: .small, resolution: 512)) == 1)
        #expect(Self.model().imagesPerPass == UNet2D.defaultImagesPerPass(Self.model().config))
        let unet = Self.model()
        unet.imagesPerPass = 0
        #expect(unet.imagesPerPass == 1)
    }
}
