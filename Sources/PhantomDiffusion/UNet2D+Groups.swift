import PhantomTensor

extension UNet2D {
    /// Bytes of one full-resolution activation (`conv_in`'s output) that a pass holds at most,
    /// summed over its images: the default ``imagesPerPass`` is the most images that fit (at
    /// least one).
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

    /// A training pass over `sample` `[B, in, H, W]` in groups of at most `imagesPerPass`
    /// images (default ``imagesPerPass``): each group runs forward (keeping what backward
    /// needs), then `outputGradient` turns the group's output into `dL/doutput` for those
    /// images, then backward adds the group's share to every parameter's gradient. The caller
    /// zeroes the gradients first and scales each group's `dL/doutput` for the whole batch (a
    /// mean over `B`, not over the group).
    ///
    /// A training pass keeps every activation of its images for backward (the `small` preset
    /// at 64×64: about 43 MiB an image), so groups bound its memory as they bound
    /// ``predict(_:timesteps:classLabels:)``'s. Unlike there, the result is not the same bit
    /// for bit for every group size: the parameter gradients are sums over the batch, and
    /// groups sum them in another order (the same for the same group size, whatever the
    /// thread count).
    ///
    /// - Parameters:
    ///   - dropoutKey: the dropout key for a group's images (nil: no dropout).
    ///   - outputGradient: given the group's images (a range of the batch) and their output
    ///     `[G, out, H, W]`, returns `dL/doutput` of the same shape (read only during the call).
    public func trainingPass(_ sample: Tensor, timesteps: [Float], classLabels: [Int]?,
                             dropoutKey: ((Range<Int>) -> DropoutKey)? = nil, imagesPerPass: Int? = nil,
                             outputGradient: (_ images: Range<Int>, _ output: Tensor) -> Tensor) {
        let batch = sample.shape[0], groupSize = max(1, imagesPerPass ?? self.imagesPerPass)
        for start in stride(from: 0, to: batch, by: groupSize) {
            let group = start..<min(batch, start + groupSize)
            let whole = group.count == batch
            let output = forward(whole ? sample : sample.items(group), timesteps: Array(timesteps[group]),
                                 classLabels: classLabels.map { Array($0[group]) }, dropoutKey: dropoutKey?(group))
            backward(outputGradient(group, output))
        }
    }
}
