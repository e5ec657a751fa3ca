import Foundation
import PhantomTensor

/// diffusers' `get_timestep_embedding`: for `half = dimension / 2`,
/// `frequency_i = exp(−ln(maxPeriod) · i / (half − frequencyShift))`, and the embedding
/// of `t` is `[sin(t·f), cos(t·f)]`, or `[cos, sin]` with `flipSinToCos`; an odd
/// dimension gets a trailing zero. Computed in Float32 as PyTorch does.
public struct SinusoidalEmbedding: Sendable {
    public let dimension: Int
    public let flipSinToCos: Bool
    public let frequencyShift: Float
    public let maxPeriod: Float

    public init(dimension: Int, flipSinToCos: Bool, frequencyShift: Float, maxPeriod: Float = 10_000) {
        self.dimension = dimension
        self.flipSinToCos = flipSinToCos
        self.frequencyShift = frequencyShift
        self.maxPeriod = maxPeriod
    }

    /// The embeddings of `timesteps` as `[timesteps.count, dimension]`, written into `output`.
    public func embed(_ timesteps: [Float], into output: Tensor) {
        precondition(output.shape == [timesteps.count, dimension], "embedding output \(output.shape)")
        let half = dimension / 2
        let logPeriod = -Float(Foundation.log(Double(maxPeriod)))
        let frequencies = (0..<half).map { i in
            Foundation.exp(logPeriod * Float(i) / (Float(half) - frequencyShift))
        }
        for (row, t) in timesteps.enumerated() {
            let line = output.data + row * dimension
            let (first, second) = flipSinToCos ? (half, 0) : (0, half)
            for i in 0..<half {
                let angle = t * frequencies[i]
                line[first + i] = Foundation.sin(angle)
                line[second + i] = Foundation.cos(angle)
            }
            if dimension % 2 == 1 { line[dimension - 1] = 0 }
        }
    }
}
