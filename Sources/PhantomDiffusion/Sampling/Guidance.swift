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
/// the conditional model alone, once. The noise level of training timestep `t` is
/// σ_t = √((1 − ᾱ_t) / ᾱ_t) (``NoiseSchedule/noiseLevel(at:)``), so an interval means the same
/// amount of noise whatever the β schedule. With 1000 linear-β steps: t = 999 → σ 157, 500 → 3.4, 200 → 0.72, 0 → 0.01.
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

    /// Whether a step at `timestep` of `schedule` is guided.
    public func isActive(at timestep: Int, schedule: NoiseSchedule) -> Bool {
        guard scale != 1 else { return false }
        guard let sigmas else { return true }
        return sigmas.contains(schedule.noiseLevel(at: timestep))
    }
}

/// The noise levels guidance applies at, as a user names them: `all` (every step) or
/// `LOW:HIGH` (σ from LOW to HIGH, 0 < LOW ≤ HIGH).
public enum GuidanceInterval: Equatable, Sendable {
    case everyStep
    case sigmas(ClosedRange<Float>)

    /// Parses `all` or `LOW:HIGH`; nil for anything else.
    public init?(_ text: String) {
        if text == "all" {
            self = .everyStep
            return
        }
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2, let low = Float(parts[0]), let high = Float(parts[1]),
              low.isFinite, high.isFinite, 0 < low, low <= high else { return nil }
        self = .sigmas(low...high)
    }

    /// The σ range, nil for every step (``Guidance/sigmas``).
    public var sigmas: ClosedRange<Float>? {
        if case .sigmas(let range) = self { return range }
        return nil
    }
}
