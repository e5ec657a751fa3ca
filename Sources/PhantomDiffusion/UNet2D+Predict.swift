import PhantomTensor

extension UNet2D {
    /// Bytes of one full-resolution activation (`conv_in`'s output) that a sampling pass holds
    /// at most, summed over its images: the default ``imagesPerPass`` is the most images that
    /// fit (at least one).
    public static let passActivationBudget = 4 << 20

    /// The default ``imagesPerPass`` for `config`: as many images as keep one `conv_in`
    /// output (`block_out_channels[0] × H × W` floats each) within ``passActivationBudget``.
    /// The `small` preset at 64×64 gets 4 (1 MiB an image), `tiny` at 32×32 gets 32.
    public static func defaultImagesPerPass(_ config: UNetConfig) -> Int {
        let perImage = config.blockOutChannels[0] * config.sampleSize * config.sampleSize * MemoryLayout<Float>.stride
        return max(1, passActivationBudget / max(1, perImage))
    }

    /// The model output for `sample` `[B, in, H, W]`, as ``forward(_:timesteps:classLabels:dropoutKey:keepForBackward:)``
    /// without dropout or backward, sending at most ``imagesPerPass`` images through the
    /// network at a time.
    ///
    /// A sampling pass keeps every skip state of its images until the up path reads it, so its
    /// memory grows with the images it holds; groups bound it (the `small` preset at 64×64
    /// keeps about 10 MiB an image). No image's arithmetic depends on the others in its pass,
    /// so the result is the same, bit for bit, for every group size. The result is valid until
    /// the next call of this or `forward`.
    public func predict(_ sample: Tensor, timesteps: [Float], classLabels: [Int]? = nil) -> Tensor {
        let batch = sample.shape[0]
        guard batch > imagesPerPass else {
            return forward(sample, timesteps: timesteps, classLabels: classLabels, keepForBackward: false)
        }
        let result = Tensor.reusing(predicted, shape: [batch, config.outChannels] + Array(sample.shape.dropFirst(2)))
        predicted = result
        let perImage = result.count / batch
        for start in stride(from: 0, to: batch, by: imagesPerPass) {
            let group = start..<min(batch, start + imagesPerPass)
            let output = forward(sample.items(group), timesteps: Array(timesteps[group]),
                                 classLabels: classLabels.map { Array($0[group]) }, keepForBackward: false)
            (result.data + start * perImage).update(from: output.data, count: output.count)
        }
        return result
    }
}
