import PhantomTensor

/// The buffers of one training step, allocated once for the batch shape.
final class TrainingBatch {
    let clean: Tensor, noise: Tensor, noisy: Tensor, target: Tensor, outputGradient: Tensor
    var timesteps: [Int]
    var labels: [Int]
    /// Min-SNR-γ loss weights of the images (unused without `snrGamma`).
    var lossWeights: [Double]
    /// Positions in the endless data sequence (also the images' keys for dropout masks).
    var positions: [Int]

    init(batchSize: Int, resolution: Int) {
        let shape = [batchSize, 1, resolution, resolution]
        clean = Tensor(zeros: shape)
        noise = Tensor(zeros: shape)
        noisy = Tensor(zeros: shape)
        target = Tensor(zeros: shape)
        outputGradient = Tensor(zeros: shape)
        timesteps = Array(repeating: 0, count: batchSize)
        labels = Array(repeating: 0, count: batchSize)
        lossWeights = Array(repeating: 1, count: batchSize)
        positions = Array(repeating: 0, count: batchSize)
    }

    var size: Int { timesteps.count }
    var pixels: Int { clean.count / size }
}
