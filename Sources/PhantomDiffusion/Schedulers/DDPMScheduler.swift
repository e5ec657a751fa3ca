import PhantomTensor

/// Ancestral sampling of Ho et al. (2020), as diffusers' `DDPMScheduler` computes it:
/// every scalar in Float32, noise added at every timestep t > 0.
///
/// Before ``setTimesteps(_:)`` the schedule is all T training timesteps and each step
/// goes from t to t − 1. After it, each step goes to the next timestep of the list and
/// the step's β is `1 − ᾱ_t / ᾱ_prev`, not β_t.
public final class DDPMScheduler: SamplingScheduler {
    public let config: SchedulerConfig
    /// The training noise schedule (ᾱ).
    public let noiseSchedule: NoiseSchedule
    public private(set) var timesteps: [Int]
    /// Whether ``setTimesteps(_:)`` was called (diffusers' `num_inference_steps` set).
    private var hasInferenceSchedule = false

    public var initNoiseSigma: Float { 1 }

    /// - Precondition: `config.kind == .ddpm` (see ``SchedulerConfig/converted(to:)``).
    public init(config: SchedulerConfig) {
        precondition(config.kind == .ddpm, "DDPMScheduler needs a DDPMScheduler configuration, not \(config.kind.rawValue)")
        self.config = config
        noiseSchedule = config.noiseSchedule
        timesteps = Array((0..<config.numTrainTimesteps).reversed())
    }

    @discardableResult
    public func setTimesteps(_ count: Int) throws(ModelError) -> [Int] {
        timesteps = try config.inferenceTimesteps(count) { count in
            config.timestepSpacing.timesteps(count: count, trainSteps: config.numTrainTimesteps,
                                             stepsOffset: config.stepsOffset)
        }
        hasInferenceSchedule = true
        return timesteps
    }

    /// DDPM adds noise at every timestep above 0.
    public func needsNoise(at timestep: Int) -> Bool { timestep > 0 }

    /// The timestep a step from `timestep` lands on; −1 after the last.
    private func previousTimestep(_ timestep: Int) -> Int {
        guard hasInferenceSchedule else { return timestep - 1 }
        guard let index = timesteps.firstIndex(of: timestep) else {
            preconditionFailure("timestep \(timestep) is not in the schedule \(timesteps)")
        }
        return index + 1 < timesteps.count ? timesteps[index + 1] : -1
    }

    /// One ancestral step from x_t to x_prev (Ho et al. 2020, Algorithm 2), with α_t = ᾱ_t / ᾱ_prev
    /// and β_t = 1 − α_t for the step actually taken:
    /// 1. x̂₀ from the model output (``PredictionType``), clipped if configured;
    /// 2. the posterior mean μ̃ = √ᾱ_prev·β_t/(1−ᾱ_t)·x̂₀ + √α_t·(1−ᾱ_prev)/(1−ᾱ_t)·x_t (eq. 7);
    /// 3. plus σ·z for t > 0, σ² = β̃_t = (1−ᾱ_prev)/(1−ᾱ_t)·β_t ("fixed_small", eq. 7) or β_t
    ///    ("fixed_large", Sec. 3.2).
    public func step(modelOutput: Tensor, timestep: Int, sample: Tensor, noise: Tensor?, into prevSample: Tensor) {
        let noiseNeeded = needsNoise(at: timestep)
        checkStepTensors(modelOutput, sample, noise, prevSample, noiseNeeded: noiseNeeded)
        let previous = previousTimestep(timestep)
        precondition(noiseSchedule.alphasCumprod.indices.contains(timestep),
                     "timestep \(timestep) outside 0..<\(noiseSchedule.trainTimesteps)")
        let alphaProd = noiseSchedule.alphasCumprod[timestep]
        let alphaProdPrev: Float = previous >= 0 ? noiseSchedule.alphasCumprod[previous] : 1
        let betaProd = 1 - alphaProd
        let betaProdPrev = 1 - alphaProdPrev
        let currentAlpha = alphaProd / alphaProdPrev
        let currentBeta = 1 - currentAlpha
        let sqrtAlphaProd = alphaProd.squareRoot(), sqrtBetaProd = betaProd.squareRoot()

        let originalCoefficient = alphaProdPrev.squareRoot() * currentBeta / betaProd
        let sampleCoefficient = currentAlpha.squareRoot() * betaProdPrev / betaProd
        let standardDeviation: Float
        switch config.varianceType {
        case .fixedSmall: standardDeviation = max(betaProdPrev / betaProd * currentBeta, 1e-20).squareRoot()
        case .fixedLarge: standardDeviation = currentBeta.squareRoot()
        }

        let prediction = config.predictionType
        let clip = config.clipSample, range = Float(config.clipSampleRange)
        for i in 0..<sample.count {
            var original = prediction.original(sample: sample.data[i], output: modelOutput.data[i],
                                               sqrtAlphaProd: sqrtAlphaProd, sqrtBetaProd: sqrtBetaProd)
            if clip { original = min(max(original, -range), range) }
            var previousSample = originalCoefficient * original + sampleCoefficient * sample.data[i]
            if let noise, noiseNeeded { previousSample += standardDeviation * noise.data[i] }
            prevSample.data[i] = previousSample
        }
    }

    /// DDPM keeps no history: nothing to reset.
    public func reset() {}
}
