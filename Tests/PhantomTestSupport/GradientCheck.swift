import PhantomTensor
import Testing

/// Central finite-difference check of a backward pass.
///
/// The scalar checked is `L = Σ y ⊙ r` for a fixed random `r`, so `dL/dy = r`.
/// For sampled elements of each checked tensor, `(L(v+ε) − L(v−ε)) / 2ε`
/// (accumulated in Double) must match the analytic gradient within
/// `absolute + relative·|g|`.
public struct GradientCheck {
    public var epsilon: Float = 1e-2
    public var absolute: Double = 2e-3
    public var relative: Double = 1e-2
    public var samplesPerTensor = 24

    public init(epsilon: Float = 1e-2, absolute: Double = 2e-3, relative: Double = 1e-2, samplesPerTensor: Int = 24) {
        self.epsilon = epsilon
        self.absolute = absolute
        self.relative = relative
        self.samplesPerTensor = samplesPerTensor
    }

    /// A tensor of standard normal values.
    public static func random(_ shape: [Int], seed: UInt64, scale: Float = 1) -> Tensor {
        let tensor = Tensor(zeros: shape)
        RandomStream(seed: seed).fillGaussian(tensor.data, count: tensor.count)
        for i in 0..<tensor.count { tensor.data[i] *= scale }
        return tensor
    }

    public static func weightedSum(_ y: Tensor, _ r: Tensor) -> Double {
        var sum = 0.0
        for i in 0..<y.count { sum += Double(y.data[i]) * Double(r.data[i]) }
        return sum
    }

    /// Checks `analytic[k]` against finite differences of `forward` in `checked[k]`;
    /// `r` is the output weighting. Returns the worst mismatch found (for reports).
    @discardableResult
    public func check(name: String, checked: [(String, Tensor)], analytic: [[Float]], r: Tensor,
               forward: () -> Tensor, sourceLocation: SourceLocation = #_sourceLocation) -> Double {
        var worst = 0.0
        for ((label, tensor), gradient) in zip(checked, analytic) {
            let step = max(1, tensor.count / samplesPerTensor)
            var index = (tensor.count / 7) % step
            while index < tensor.count {
                let original = tensor.data[index]
                tensor.data[index] = original + epsilon
                let plus = Self.weightedSum(forward(), r)
                tensor.data[index] = original - epsilon
                let minus = Self.weightedSum(forward(), r)
                tensor.data[index] = original
                let numeric = (plus - minus) / (2 * Double(epsilon))
                let value = Double(gradient[index])
                let error = abs(numeric - value)
                let allowed = absolute + relative * max(abs(numeric), abs(value))
                worst = max(worst, error / allowed)
                #expect(error <= allowed,
                        "\(name) d/d\(label)[\(index)]: analytic \(value), numeric \(numeric)",
                        sourceLocation: sourceLocation)
                index += step
            }
        }
        return worst
    }
}
