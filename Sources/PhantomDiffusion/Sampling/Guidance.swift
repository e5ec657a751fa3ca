/// Classifier-free guidance (Ho & Salimans 2022) and the noise levels it applies at.
///
/// A guided step evaluates the model with each image's class label and with the null class,
/// and moves the output away from the unconditional one:
///
///     out = out_uncond + w · (out_cond − out_uncond)
///
/// (the same formula for ε, v or x₀ outputs, all linear in each other at a fixed timestep).
/// `w = 1` is plain conditional sampling.
///
/// Guidance can be limited to an interval of noise levels (Kynkäänniemi et al. 2024,
/// "Applying Guidance in a Limited Interval Improves Sample and Distribution Quality in
/// Diffusion Models"): at the noisiest steps it pulls a class's samples toward a few layouts
/// (recall falls), at the cleanest it changes little; outside the interval a step evaluates
/// the conditional model alone, once. The noise level of training timestep `t` is the
/// variance-exploding σ of the variance-preserving process,
///
///     σ_t = √((1 − ᾱ_t) / ᾱ_t)
///
/// (Karras et al. 2022, eq. 12 with s(t) = √ᾱ_t), so an interval means the same amount of noise
/// whatever the β schedule. With 1000 linear-β steps: t = 999 → σ 157, 500 → 3.4, 200 → 0.72, 0 → 0.01.
public struct Guidance: Equatable, Sendable {
    /// The scale `w`.
    public var scale: Float
    /// The noise levels σ at which guidance applies (both ends included); nil: every step.
    public var sigmas: ClosedRange<Float>?

    /// Plain conditional sampling.
    public static let none = Guidance(scale: 1)

    public init(scale: Float, sigmas: ClosedRange<Float>? = nil) {
        self.scale = scale
        self.sigmas = sigmas
    }

    /// Whether a step at `timestep` is guided, given the schedule's ᾱ.
    public func isActive(at timestep: Int, alphasCumprod: [Float]) -> Bool {
        guard scale != 1 else { return false }
        guard let sigmas else { return true }
        let alpha = alphasCumprod[timestep]
        return sigmas.contains(((1 - alpha) / alpha).squareRoot())
    }
}
