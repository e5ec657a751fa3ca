@testable import PhantomDiffusion
import PhantomTensor
import Testing

/// The pool of activations and gradients: steps after the first allocate nothing
/// (every tensor taken is given back), and a forward pass for sampling holds less.
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
}
