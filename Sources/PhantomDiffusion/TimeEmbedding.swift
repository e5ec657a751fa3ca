import PhantomLayers
import PhantomTensor

/// diffusers' `Timesteps` + `TimestepEmbedding`: sinusoidal features of the
/// timestep, then `linear_2(silu(linear_1(features)))`.
final class TimeEmbedding: Module {
    let sinusoid: SinusoidalEmbedding
    let linear1: Linear, linear2: Linear
    let activation = SiLU()
    private var features: Tensor?

    init(featureChannels: Int, timeChannels: Int, flipSinToCos: Bool, frequencyShift: Int) {
        sinusoid = SinusoidalEmbedding(dimension: featureChannels, flipSinToCos: flipSinToCos,
                                       frequencyShift: Float(frequencyShift))
        linear1 = Linear(inFeatures: featureChannels, outFeatures: timeChannels)
        linear2 = Linear(inFeatures: timeChannels, outFeatures: timeChannels)
    }

    func visitParameters(prefix: String, _ visit: (String, Parameter) -> Void) {
        linear1.visitParameters(prefix: join(prefix, "linear_1"), visit)
        linear2.visitParameters(prefix: join(prefix, "linear_2"), visit)
    }

    /// `[B]` timesteps → `[B, timeChannels]`.
    func forward(_ timesteps: [Float]) -> Tensor {
        let f = Tensor.reusing(features, shape: [timesteps.count, sinusoid.dimension])
        features = f
        sinusoid.embed(timesteps, into: f)
        return linear2.forward(activation.forward(linear1.forward(f)))
    }

    /// Accumulates the parameter gradients (timesteps get no gradient).
    func backward(_ dy: Tensor) {
        _ = linear1.backward(activation.backward(linear2.backward(dy)))
    }
}
