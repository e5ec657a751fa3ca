import PhantomTensor

/// The mean squared error `L = mean((prediction − target)²)` over every element,
/// and its gradient `2(prediction − target)/N`; optionally with one weight per image.
public enum MeanSquaredError {
    /// Returns the loss (accumulated in Double) and writes `dL/dprediction` into `gradient`.
    public static func lossAndGradient(prediction: Tensor, target: Tensor, gradient: Tensor) -> Double {
        lossAndGradient(prediction: prediction, target: target, imageWeights: nil, gradient: gradient)
    }

    /// The image-weighted mean squared error over a batch `[B, ...]`:
    ///
    ///     L = (1/B) Σ_b w_b · mean_i (prediction_bi − target_bi)²,   dL/dprediction_bi = 2 w_b (prediction_bi − target_bi) / N
    ///
    /// with N the element count. With `imageWeights` nil every w_b is 1, which is the plain MSE.
    /// This is diffusers' min-SNR loss: `(mse(reduction="none").mean(dims) * weights).mean()`.
    ///
    /// - Parameters:
    ///   - prediction, target, gradient: `[B, ...]`, the same shape.
    ///   - imageWeights: `B` weights, or nil.
    ///   - divisor: N, when not the element count: DP-SGD takes the mean over each example's
    ///     K images alone (N = K · elements per image), so that the gradient of an image does
    ///     not depend on how many examples share the batch.
    /// - Returns: the loss, accumulated in Double.
    public static func lossAndGradient(prediction: Tensor, target: Tensor, imageWeights: [Double]?,
                                       gradient: Tensor, divisor: Int? = nil) -> Double {
        precondition(prediction.shape == target.shape && gradient.shape == target.shape, "MSE shapes")
        let count = divisor ?? prediction.count
        let images = imageWeights?.count ?? 1
        precondition(prediction.count % images == 0 && (imageWeights == nil || prediction.shape.first == images),
                     "\(images) image weights for a batch of shape \(prediction.shape)")
        let perImage = prediction.count / images
        var total = 0.0
        for image in 0..<images {
            let weight = imageWeights?[image] ?? 1
            let scale = Float(2 * weight / Double(count))
            var sum = 0.0
            for i in image * perImage..<(image + 1) * perImage {
                let difference = prediction.data[i] - target.data[i]
                sum += Double(difference * difference)
                gradient.data[i] = scale * difference
            }
            total += weight * sum
        }
        return total / Double(count)
    }
}
