import PhantomTensor

/// The mean squared error `L = mean((prediction − target)²)` over every element,
/// and its gradient `2(prediction − target)/N`.
public enum MeanSquaredError {
    /// Returns the loss (accumulated in Double) and writes `dL/dprediction` into `gradient`.
    public static func lossAndGradient(prediction: Tensor, target: Tensor, gradient: Tensor) -> Double {
        precondition(prediction.shape == target.shape && gradient.shape == target.shape, "MSE shapes")
        let count = prediction.count, scale = 2 / Float(count)
        var sum = 0.0
        for i in 0..<count {
            let difference = prediction.data[i] - target.data[i]
            sum += Double(difference * difference)
            gradient.data[i] = scale * difference
        }
        return sum / Double(count)
    }
}
