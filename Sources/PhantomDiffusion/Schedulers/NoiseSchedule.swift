import PhantomTensor

/// The forward (noising) process of a diffusion model: β_t, ᾱ_t = ∏(1 − β), and the
/// training target, in Float32 exactly as diffusers computes them.
///
/// The trainer draws one timestep and one noise tensor per image, then calls
/// ``addNoise(original:noise:timesteps:into:)`` for the model input and
/// ``target(original:noise:timesteps:into:)`` for what the model must predict.
public struct NoiseSchedule: Equatable, Sendable {
    /// β_t for t = 0..<T.
    public let betas: [Float]
    /// ᾱ_t = ∏_{s ≤ t} (1 − β_s) for t = 0..<T (the product accumulates in Double and
    /// each entry is rounded to Float32, as `torch.cumprod` does on the CPU).
    public let alphasCumprod: [Float]
    /// What the model is trained to predict.
    public let predictionType: PredictionType

    /// The number of training timesteps T.
    public var trainTimesteps: Int { alphasCumprod.count }

    /// The schedule with diffusers' defaults unless stated: 1000 linear betas from 1e-4 to 0.02.
    ///
    /// - Precondition: `trainTimesteps >= 2`.
    public init(trainTimesteps: Int = 1000, betaStart: Double = 0.0001, betaEnd: Double = 0.02,
                betaSchedule: BetaSchedule = .linear, predictionType: PredictionType = .epsilon) {
        betas = betaSchedule.betas(count: trainTimesteps, start: betaStart, end: betaEnd)
        var product = 1.0
        alphasCumprod = betas.map { beta in
            product *= Double(1 - beta)
            return Float(product)
        }
        self.predictionType = predictionType
    }

    /// Writes `√ᾱ_t · x₀ + √(1 − ᾱ_t) · ε` for each image of the batch, with `timesteps[b]`
    /// the timestep of image `b` (diffusers' `add_noise`).
    ///
    /// `original`, `noise` and `noisy` have the same shape `[B, ...]`; `noisy` may be
    /// `original` or `noise`.
    ///
    /// - Precondition: `timesteps.count == B` and every timestep is in `0..<trainTimesteps`.
    public func addNoise(original: Tensor, noise: Tensor, timesteps: [Int], into noisy: Tensor) {
        forEachImage(original, noise, timesteps, noisy) { x0, epsilon, sqrtAlpha, sqrtOneMinusAlpha in
            sqrtAlpha * x0 + sqrtOneMinusAlpha * epsilon
        }
    }

    /// Writes the regression target for ``predictionType``: ε, x₀, or the velocity
    /// `√ᾱ_t · ε − √(1 − ᾱ_t) · x₀` (diffusers' `get_velocity`). Shapes and timesteps
    /// as in ``addNoise(original:noise:timesteps:into:)``.
    public func target(original: Tensor, noise: Tensor, timesteps: [Int], into target: Tensor) {
        switch predictionType {
        case .epsilon: target.copy(from: noise)
        case .sample: target.copy(from: original)
        case .vPrediction:
            forEachImage(original, noise, timesteps, target) { x0, epsilon, sqrtAlpha, sqrtOneMinusAlpha in
                sqrtAlpha * epsilon - sqrtOneMinusAlpha * x0
            }
        }
    }

    /// The signal-to-noise ratio `SNR(t) = ᾱ_t / (1 − ᾱ_t)`, computed in Float32 from
    /// √ᾱ_t and √(1 − ᾱ_t) as diffusers' `compute_snr` does.
    public func signalToNoiseRatio(at timestep: Int) -> Float {
        let (sqrtAlpha, sqrtOneMinusAlpha) = noiseScales(at: timestep)
        let ratio = sqrtAlpha / sqrtOneMinusAlpha
        return ratio * ratio
    }

    /// The noise level `σ_t = √((1 − ᾱ_t) / ᾱ_t) = 1/√SNR(t)`: the variance-exploding σ of the
    /// variance-preserving process (Karras et al. 2022, eq. 12 with s(t) = √ᾱ_t).
    public func noiseLevel(at timestep: Int) -> Float {
        let (sqrtAlpha, sqrtOneMinusAlpha) = noiseScales(at: timestep)
        return sqrtOneMinusAlpha / sqrtAlpha
    }

    /// The min-SNR-γ loss weight of timestep t (Hang et al. 2023, "Efficient Diffusion
    /// Training via Min-SNR Weighting Strategy", eq. 9 and its ε and v forms):
    ///
    ///     w(t) = min(SNR(t), γ) / SNR(t)         for ε-prediction
    ///     w(t) = min(SNR(t), γ) / (SNR(t) + 1)   for v-prediction
    ///     w(t) = min(SNR(t), γ)                  for x₀-prediction
    ///
    /// so that every timestep's loss is, in x₀ terms, capped at γ: the low-noise steps that
    /// are easy to fit stop dominating the gradient. diffusers' training scripts
    /// (`--snr_gamma`) compute the same in Float32.
    public func minSNRWeight(at timestep: Int, gamma: Float) -> Float {
        let snr = signalToNoiseRatio(at: timestep)
        let clipped = min(snr, gamma)
        switch predictionType {
        case .epsilon: return clipped / snr
        case .vPrediction: return clipped / (snr + 1)
        case .sample: return clipped
        }
    }

    /// √ᾱ_t and √(1 − ᾱ_t) in Float32, as diffusers' `alphas_cumprod[t] ** 0.5` and `(1 - alphas_cumprod[t]) ** 0.5`.
    func noiseScales(at timestep: Int) -> (sqrtAlpha: Float, sqrtOneMinusAlpha: Float) {
        precondition(alphasCumprod.indices.contains(timestep),
                     "timestep \(timestep) outside 0..<\(trainTimesteps)")
        let alpha = alphasCumprod[timestep]
        return (alpha.squareRoot(), (1 - alpha).squareRoot())
    }

    private func forEachImage(_ original: Tensor, _ noise: Tensor, _ timesteps: [Int], _ output: Tensor,
                              _ combine: (Float, Float, Float, Float) -> Float) {
        precondition(original.shape == noise.shape && original.shape == output.shape,
                     "shapes differ: original \(original.shape), noise \(noise.shape), output \(output.shape)")
        precondition(original.shape.first == timesteps.count,
                     "\(timesteps.count) timesteps for a batch of shape \(original.shape)")
        let perImage = timesteps.isEmpty ? 0 : original.count / timesteps.count
        for (image, timestep) in timesteps.enumerated() {
            let (sqrtAlpha, sqrtOneMinusAlpha) = noiseScales(at: timestep)
            for i in image * perImage..<(image + 1) * perImage {
                output.data[i] = combine(original.data[i], noise.data[i], sqrtAlpha, sqrtOneMinusAlpha)
            }
        }
    }
}
