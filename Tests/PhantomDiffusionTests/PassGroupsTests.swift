@testable import PhantomDiffusion
import PhantomPrivacy
import PhantomLayers
import PhantomTensor
import Testing

/// `UNet2D.predict` and `UNet2D.trainingPass` send a batch through the network a few images
/// at a time: less memory held, and the same outputs bit for bit (sampling) or the same
/// gradients up to the order of their sums (training).
@Suite(.serialized) struct PassGroupsTests {
    /// The sampler tests' model (8×8, attention, 3 classes).
    static func model() -> UNet2D { SamplerDeterminismTests.model(convolution: .automatic) }

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
        // The pool also lends each layer's scratch, part of which does not grow with the
        // group: the memory that does grows with its images.
        let (one, two, five) = (peakLent(imagesPerPass: 1), peakLent(imagesPerPass: 2), peakLent(imagesPerPass: 5))
        #expect(one < two)
        #expect(five - one >= 3 * (two - one))
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

    static func gradients(_ unet: UNet2D) -> [Float] {
        unet.namedParameters.flatMap { $0.parameter.gradient.values }
    }

    static func relativeDifference(_ a: [Float], _ b: [Float]) -> Float {
        zip(a, b).map { abs($0 - $1) }.max()! / b.map(abs).max()!
    }

    /// Groups give one pass's gradients up to summation order, with dropout too: each
    /// group's key names its images' places in the batch, so every image keeps its mask.
    @Test(arguments: [1, 2, 3]) func trainingGroupsGiveTheWholeBatchsGradients(imagesPerPass: Int) {
        func gradients(imagesPerPass: Int, dropout: Double) -> [Float] {
            var config = Self.model().config
            config.dropout = dropout
            let unet = UNet2D(config: config)
            unet.initializeParameters(seed: 3)
            unet.zeroGradients()
            let target = Tensor(zeros: Self.sample.shape), outputGradient = Tensor(zeros: Self.sample.shape)
            let positions = [10, 11, 12, 13, 14]
            unet.trainingPass(Self.sample, timesteps: Self.timesteps, classLabels: Self.labels,
                              dropoutKey: { DropoutKey(seed: 7, step: 2, imageIndices: Array(positions[$0])) },
                              imagesPerPass: imagesPerPass) { images, output in
                let gradient = outputGradient.items(images)
                _ = MeanSquaredError.lossAndGradient(prediction: output, target: target.items(images), imageWeights: nil,
                                                     gradient: gradient, divisor: target.count)
                return gradient
            }
            return Self.gradients(unet)
        }
        for dropout in [0.0, 0.3] {
            let whole = gradients(imagesPerPass: Self.batch, dropout: dropout)
            let grouped = gradients(imagesPerPass: imagesPerPass, dropout: dropout)
            #expect(whole.contains { $0 != 0 })
            #expect(Self.relativeDifference(grouped, whole) < 1e-5, "dropout \(dropout)")
            #expect(gradients(imagesPerPass: imagesPerPass, dropout: dropout) == grouped)  // the same groups, the same sums
        }
        // Dropout did something: without it the gradients differ.
        #expect(Self.relativeDifference(gradients(imagesPerPass: 2, dropout: 0.3), gradients(imagesPerPass: 2, dropout: 0)) > 1e-3)
    }

    /// The Trainer's step in groups: the same loss and gradients as one pass, up to rounding;
    /// a DP-SGD step, whose per-example rows need one pass, ignores the groups.
    @Test func trainerStepsInGroupsMatchOnePass() throws {
        let whole = try PrivateTrainingTests.makeTrainer(batchSize: 5, privacy: nil)
        let grouped = try PrivateTrainingTests.makeTrainer(batchSize: 5, privacy: nil)
        grouped.unet.imagesPerPass = 2
        #expect(whole.unet.imagesPerPass >= 5)
        let (wholeLoss, groupedLoss) = (try whole.trainStep().loss, try grouped.trainStep().loss)
        #expect(abs(groupedLoss - wholeLoss) / wholeLoss < 1e-6)
        #expect(Self.relativeDifference(Self.gradients(grouped.unet), Self.gradients(whole.unet)) < 1e-5)

        let privacy = DPSGDOptions(noiseMultiplier: 1, maxGradNorm: 0.05, sampleRate: 0.8, noiseDraws: 2, delta: 1e-5)
        let privateWhole = try PrivateTrainingTests.makeTrainer(batchSize: 4, privacy: privacy)
        let privateGrouped = try PrivateTrainingTests.makeTrainer(batchSize: 4, privacy: privacy)
        privateGrouped.unet.imagesPerPass = 1
        #expect(try privateGrouped.trainStep().loss == privateWhole.trainStep().loss)
        #expect(Self.gradients(privateGrouped.unet) == Self.gradients(privateWhole.unet))
    }
}
