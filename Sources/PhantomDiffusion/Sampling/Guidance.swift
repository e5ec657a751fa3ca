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
/// Each guidance can be limited to an interval of noise levels (Kynkäänniemi et al. 2024,
/// "Applying Guidance in a Limited Interval Improves Sample and Distribution Quality in
/// Diffusion Models"): at the noisiest steps guidance decides a sample's layout and class
/// (classifier-free guidance there pulls a class toward a few layouts, recall falls), at the
/// cleanest its texture. Outside its interval a guidance's scale is 1 and its extra model
/// evaluation is skipped; a step outside both evaluates the conditional model alone, once.
/// The noise level of training timestep `t` is
/// σ_t = √((1 − ᾱ_t) / ᾱ_t) (``NoiseSchedule/noiseLevel(at:)``), so an interval means the same
/// amount of noise whatever the β schedule. With 1000 linear-β steps: t = 999 → σ 157, 500 → 3.4, 200 → 0.72, 0 → 0.01.
public struct Guidance: Equatable, Sendable {
    /// The classifier-free scale `w` (against the null class).
    public var scale: Float
    /// The autoguidance scale `a` (against ``Sampler/guide``); 1: no autoguidance.
    public var guideScale: Float
    /// The noise levels σ at which classifier-free guidance applies (both ends included); nil: every step.
    public var sigmas: ClosedRange<Float>?
    /// The noise levels σ at which autoguidance applies (both ends included); nil: every step.
    public var guideSigmas: ClosedRange<Float>?

    /// Plain conditional sampling.
    public static let none = Guidance(scale: 1)

    public init(scale: Float, guideScale: Float = 1, sigmas: ClosedRange<Float>? = nil,
                guideSigmas: ClosedRange<Float>? = nil) {
        self.scale = scale
        self.guideScale = guideScale
        self.sigmas = sigmas
        self.guideSigmas = guideSigmas
    }

    /// The guidance as a samples manifest records it: `"guidance_scale"`, `"guidance_interval"`
    /// (`[low, high]`, or null for every step), `"guide_scale"` (null without autoguidance)
    /// and `"guide_interval"` (null for every step or without autoguidance).
    public var manifestFields: [String: Any] {
        func ends(_ sigmas: ClosedRange<Float>?) -> Any {
            sigmas.map { [Double($0.lowerBound), Double($0.upperBound)] } as Any? ?? NSNull()
        }
        return [
            "guidance_scale": Double(scale),
            "guidance_interval": ends(sigmas),
            "guide_scale": guideScale == 1 ? NSNull() : Double(guideScale) as Any,
            "guide_interval": guideScale == 1 ? NSNull() : ends(guideSigmas),
        ]
    }

    /// The guidance in force at `timestep` of `schedule`: each scale where its interval holds
    /// the step's noise level, 1 where it does not.
    public func inForce(at timestep: Int, schedule: NoiseSchedule) -> Guidance {
        let sigma = schedule.noiseLevel(at: timestep)
        return Guidance(scale: sigmas?.contains(sigma) ?? true ? scale : 1,
                        guideScale: guideSigmas?.contains(sigma) ?? true ? guideScale : 1)
    }
}

/// The noise levels a guidance applies at, as a user names them: `all` (every step) or
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
