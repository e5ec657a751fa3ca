import Foundation

/// Guidance at sampling time: classifier-free guidance (Ho & Salimans 2022), autoguidance
/// (Karras et al. 2024), or both, and the noise levels they apply at.
///
/// A guided step moves the model's conditional output `out` away from weaker predictions:
///
///     out_guided = out + (w − 1) · (out − out_uncond) + (a − 1) · (out − out_guide)
///
/// where `out_uncond` is the same model given the null class (scale `w`, ``scale``) and
/// `out_guide` a weaker model of the same data given the label (scale `a`, ``guideScale``;
/// see ``Sampler/guide``). The same formula holds for ε, v or x₀ outputs, all linear in each
/// other at a fixed timestep. Classifier-free guidance alone is computed as
/// `out_uncond + w · (out − out_uncond)`, autoguidance alone as `out + (a − 1) · (out − out_guide)`.
/// `w = a = 1` is plain conditional sampling.
///
/// Guidance can be limited to an interval of noise levels (Kynkäänniemi et al. 2024,
/// "Applying Guidance in a Limited Interval Improves Sample and Distribution Quality in
/// Diffusion Models"): at the noisiest steps it pulls a class's samples toward a few layouts
/// (recall falls), at the cleanest it changes little; outside the interval a step evaluates
/// the conditional model alone, once. The noise level of training timestep `t` is
/// σ_t = √((1 − ᾱ_t) / ᾱ_t) (``NoiseSchedule/noiseLevel(at:)``), so an interval means the same
/// amount of noise whatever the β schedule. With 1000 linear-β steps: t = 999 → σ 157, 500 → 3.4, 200 → 0.72, 0 → 0.01.
public struct Guidance: Equatable, Sendable {
    /// The classifier-free scale `w` (against the null class).
    public var scale: Float
    /// The autoguidance scale `a` (against ``Sampler/guide``); 1: no autoguidance.
    public var guideScale: Float
    /// The noise levels σ at which guidance applies (both ends included); nil: every step.
    public var sigmas: ClosedRange<Float>?

    /// Plain conditional sampling.
    public static let none = Guidance(scale: 1)

    public init(scale: Float, guideScale: Float = 1, sigmas: ClosedRange<Float>? = nil) {
        self.scale = scale
        self.guideScale = guideScale
        self.sigmas = sigmas
    }

    /// The guidance as a samples manifest records it: `"guidance_scale"`, `"guidance_interval"`
    /// (`[low, high]`, or null for every step) and `"guide_scale"` (null without autoguidance).
    public var manifestFields: [String: Any] {
        [
            "guidance_scale": Double(scale),
            "guidance_interval": sigmas.map { [Double($0.lowerBound), Double($0.upperBound)] } as Any? ?? NSNull(),
            "guide_scale": guideScale == 1 ? NSNull() : Double(guideScale) as Any,
        ]
    }

    /// Whether a step at `timestep` of `schedule` is guided.
    public func isActive(at timestep: Int, schedule: NoiseSchedule) -> Bool {
        guard scale != 1 || guideScale != 1 else { return false }
        guard let sigmas else { return true }
        return sigmas.contains(schedule.noiseLevel(at: timestep))
    }
}

/// The noise levels guidance applies at, as a user names them: `all` (every step) or
/// `LOW:HIGH` (σ from LOW to HIGH, 0 ≤ LOW ≤ HIGH; `0:10` guides wherever σ ≤ 10).
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
              low.isFinite, high.isFinite, 0 <= low, low <= high else { return nil }
        self = .sigmas(low...high)
    }

    /// The σ range, nil for every step (``Guidance/sigmas``).
    public var sigmas: ClosedRange<Float>? {
        if case .sigmas(let range) = self { return range }
        return nil
    }
}
