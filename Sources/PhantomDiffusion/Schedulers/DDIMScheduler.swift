import PhantomTensor

/// Denoising diffusion implicit models (Song et al. 2021), as diffusers' `DDIMScheduler`
/// computes them in Float32.
///
/// Each step goes from t to `t − T / n` (integer division, whatever the spacing); below
/// timestep 0 it uses the final ᾱ (1 with `set_alpha_to_one`, else ᾱ_0). `eta` scales the
/// fresh noise: 0 is deterministic DDIM.
public final class DDIMScheduler: SamplingScheduler {
    public let config: SchedulerConfig
    /// The training noise schedule (ᾱ).
    public let noiseSchedule: NoiseSchedule
    /// The share of the posterior standard deviation added as fresh noise (diffusers' `eta`).
    /// diffusers adds noise only when eta > 0.
    public let eta: Float
    public private(set) var timesteps: [Int] = []
    /// ᾱ before timestep 0.
    public let finalAlphaCumprod: Float

    public var initNoiseSigma: Float { 1 }

    /// - Precondition: `config.kind == .ddim` (see ``SchedulerConfig/converted(to:)``).
    public init(config: SchedulerConfig, eta: Float = 0) {
        precondition(config.kind == .ddim, "DDIMScheduler needs a DDIMScheduler configuration, not \(config.kind.rawValue)")
        self.config = config
        self.eta = eta
        noiseSchedule = config.noiseSchedule
        finalAlphaCumprod = config.setAlphaToOne ? 1 : noiseSchedule.alphasCumprod[0]
    }

    @discardableResult
    public func setTimesteps(_ count: Int) throws(ModelError) -> [Int] {
        timesteps = try config.inferenceTimesteps(count) { count in
            config.timestepSpacing.timesteps(count: count, trainSteps: config.numTrainTimesteps,
                                             stepsOffset: config.stepsOffset)
        }
        return timesteps
    }

    /// DDIM adds noise at every step when eta > 0.
    public func needsNoise(at timestep: Int) -> Bool { eta > 0 }

    /// One step from x_t to x_prev (Song et al. 2021, eq. 12):
    /// x_prev = √ᾱ_prev·x̂₀ + √(1 − ᾱ_prev − σ²)·ε̂ + σ·z, with
    /// σ = η·√((1−ᾱ_prev)/(1−ᾱ_t))·√(1 − ᾱ_t/ᾱ_prev) (eq. 16); x̂₀ and ε̂ from the model output.
    public func step(modelOutput: Tensor, timestep: Int, sample: Tensor, noise: Tensor?, into prevSample: Tensor) {
        precondition(!timesteps.isEmpty, "call setTimesteps before step")
        let noiseNeeded = needsNoise(at: timestep)
        checkStepTensors(modelOutput, sample, noise, prevSample, noiseNeeded: noiseNeeded)
        precondition(noiseSchedule.alphasCumprod.indices.contains(timestep),
                     "timestep \(timestep) outside 0..<\(noiseSchedule.trainTimesteps)")
        let previous = timestep - config.numTrainTimesteps / timesteps.count
        let alphaProd = noiseSchedule.alphasCumprod[timestep]
        let alphaProdPrev = previous >= 0 ? noiseSchedule.alphasCumprod[previous] : finalAlphaCumprod
        let betaProd = 1 - alphaProd
        let sqrtAlphaProd = alphaProd.squareRoot(), sqrtBetaProd = betaProd.squareRoot()

        let variance = (1 - alphaProdPrev) / betaProd * (1 - alphaProd / alphaProdPrev)
        let standardDeviation = eta * variance.squareRoot()
        let directionCoefficient = (1 - alphaProdPrev - standardDeviation * standardDeviation).squareRoot()
        let originalCoefficient = alphaProdPrev.squareRoot()

        let prediction = config.predictionType
        let clip = config.clipSample, range = Float(config.clipSampleRange)
        for i in 0..<sample.count {
            let x = sample.data[i], output = modelOutput.data[i]
            var original = prediction.original(sample: x, output: output,
                                               sqrtAlphaProd: sqrtAlphaProd, sqrtBetaProd: sqrtBetaProd)
            // ε comes from the unclipped x₀ estimate (diffusers' use_clipped_model_output=False).
            let epsilon: Float
            switch prediction {
            case .epsilon: epsilon = output
            case .sample: epsilon = (x - sqrtAlphaProd * original) / sqrtBetaProd
            case .vPrediction: epsilon = sqrtAlphaProd * output + sqrtBetaProd * x
            }
            if clip { original = min(max(original, -range), range) }
            var previousSample = originalCoefficient * original + directionCoefficient * epsilon
            if let noise, noiseNeeded { previousSample += standardDeviation * noise.data[i] }
            prevSample.data[i] = previousSample
        }
    }

    /// DDIM keeps no history: nothing to reset.
    public func reset() {}
}
