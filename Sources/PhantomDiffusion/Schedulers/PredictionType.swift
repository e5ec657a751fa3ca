/// What the denoising model predicts (diffusers' `prediction_type`).
public enum PredictionType: String, Sendable, CaseIterable {
    /// The noise ε that was added.
    case epsilon
    /// The velocity v = √ᾱ·ε − √(1−ᾱ)·x₀ (Salimans & Ho 2022).
    case vPrediction = "v_prediction"
    /// The clean sample x₀ itself.
    case sample

    /// diffusers' estimate of x₀ from one element of the noisy `sample` x_t and of the model
    /// `output`, given √ᾱ_t and √(1−ᾱ_t) (same operations, same order, all in Float32):
    /// - ε: x₀ = (x_t − √(1−ᾱ_t)·ε) / √ᾱ_t (Ho et al. 2020, eq. 15, from x_t = √ᾱ_t·x₀ + √(1−ᾱ_t)·ε, eq. 4);
    /// - v: x₀ = √ᾱ_t·x_t − √(1−ᾱ_t)·v (Salimans & Ho 2022, Sec. 4 and Appendix D);
    /// - sample: x₀ is the output.
    @inline(__always)
    func original(sample: Float, output: Float, sqrtAlphaProd: Float, sqrtBetaProd: Float) -> Float {
        switch self {
        case .epsilon: return (sample - sqrtBetaProd * output) / sqrtAlphaProd
        case .vPrediction: return sqrtAlphaProd * sample - sqrtBetaProd * output
        case .sample: return output
        }
    }
}
