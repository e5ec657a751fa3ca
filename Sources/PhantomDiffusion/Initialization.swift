import PhantomLayers
import PhantomTensor

extension UNet2D {
    /// Initialises every parameter as PyTorch's defaults do for a fresh diffusers
    /// model: convolution and linear weights and biases uniform in ±1/√fan_in,
    /// GroupNorm γ = 1 and β = 0, class embeddings standard normal. Parameter `k`
    /// (in ``namedParameters`` order) draws from its own stream of `seed`.
    public func initializeParameters(seed: UInt64) {
        var fanIn: [String: Int] = [:]
        for (name, parameter) in namedParameters where name.hasSuffix(".weight") && parameter.shape.count >= 2 {
            fanIn[String(name.dropLast(".weight".count))] = parameter.shape.dropFirst().reduce(1, *)
        }
        for (index, entry) in namedParameters.enumerated() {
            let value = entry.parameter.value
            let owner = String(entry.name[..<(entry.name.lastIndex(of: ".") ?? entry.name.endIndex)])
            let stream = RandomStream(seed: seed, RandomPurpose.initialization.rawValue, UInt32(index))
            if entry.name.hasPrefix("class_embedding.") {
                stream.fillGaussian(value.data, count: value.count)
            } else if let fan = fanIn[owner] {
                stream.fillUniform(value.data, count: value.count)
                let bound = 1 / Float(fan).squareRoot()
                for i in 0..<value.count { value.data[i] = (2 * value.data[i] - 1) * bound }
            } else {
                // GroupNorm affine parameters.
                let fill: Float = entry.name.hasSuffix(".weight") ? 1 : 0
                value.data.update(repeating: fill, count: value.count)
            }
        }
    }
}
