@testable import PhantomDiffusion
import PhantomTensor
import Testing

/// The pool of activations and gradients: steps after the first allocate nothing
/// (every tensor taken is given back), a forward pass for sampling holds less, and no
/// tensor is given back while still in use.
@Suite struct MemoryReuseTests {
    static func input() -> Tensor {
        let x = Tensor(zeros: [2, 1, 8, 8])
        RandomStream(seed: 3).fillGaussian(x.data, count: x.count)
        return x
    }

    @Test func stepsAfterTheFirstAllocateNothing() {
        let unet = UNetGradientTests.model(classes: 3, padding: 1, center: true, headDim: 4)
        let x = Self.input()
        func trainingStep() {
            let y = unet.forward(x, timesteps: [3, 700], classLabels: [2, 0])
            unet.backward(y)
        }
        trainingStep()
        let allocated = unet.workspace.pool.allocatedBytes
        trainingStep()
        trainingStep()
        for _ in 0..<2 { _ = unet.forward(x, timesteps: [3, 700], classLabels: [2, 0], keepForBackward: false) }
        trainingStep()
        #expect(unet.workspace.pool.allocatedBytes == allocated)
    }

    @Test func samplingHoldsLessThanTraining() {
        let training = UNetGradientTests.model(classes: nil, padding: 1, center: false, headDim: 4)
        let sampling = UNetGradientTests.model(classes: nil, padding: 1, center: false, headDim: 4)
        let x = Self.input()
        training.backward(training.forward(x, timesteps: [3, 700]))
        let sampled = sampling.forward(x, timesteps: [3, 700], keepForBackward: false)
        #expect(sampled.values == training.forward(x, timesteps: [3, 700]).values)
        #expect(sampling.workspace.pool.allocatedBytes < training.workspace.pool.allocatedBytes)
    }

    /// A pool whose free list holds a larger batch's buffers hands them out in another order;
    /// a tensor given back too early (the resnet's dropout gradient once was) is then
    /// overwritten mid-backward. Gradients of a pass must not depend on the passes before it.
    @Test(arguments: [0.0, 0.1]) func gradientsDoNotDependOnEarlierBatches(dropout: Double) throws {
        func gradients(afterBatchesOf earlier: [Int]) throws -> [Float] {
            let unet = UNet2D(config: TrainingRunTests.tinyConfig(dropout: dropout))
            unet.initializeParameters(seed: 5)
            var options = TrainingOptions()
            options.batchSize = 2
            options.seed = 5
            let trainer = try Trainer(unet: unet, images: SyntheticImages(), schedule: SchedulerConfig(kind: .ddpm).noiseSchedule,
                                      options: options)
            for size in earlier + [2] {
                trainer.useBatch(size: size)
                for j in 0..<size { trainer.fillSlot(j, image: j % 6, key: j, position: j) }
                _ = trainer.lossAndGradient()
            }
            return unet.namedParameters.flatMap { $0.parameter.gradient.values }
        }
        let fresh = try gradients(afterBatchesOf: [])
        #expect(try gradients(afterBatchesOf: [4]) == fresh)
        #expect(try gradients(afterBatchesOf: [6, 3]) == fresh)
    }
}
