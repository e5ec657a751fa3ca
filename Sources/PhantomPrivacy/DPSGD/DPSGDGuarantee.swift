import Foundation

/// What a DP-SGD run guarantees after some steps: its settings, the steps taken and the ε its
/// accountant gives for them. Training writes it into `phantom.json`; sampling copies it into
/// the manifest, so a synthetic set carries the guarantee of the model that made it.
public struct DPSGDGuarantee: Equatable, Sendable {
    public var options: DPSGDOptions
    public var steps: Int
    /// ε at ``DPSGDOptions/delta`` after ``steps`` steps (+∞ for σ = 0).
    public var epsilon: Double

    /// What training reads from the data outside DP-SGD, which the (ε, δ) bound does not cover.
    public static let notCovered = [
        "the class names, the number of images per class and in all (which sets q = batch / N)",
        "the bit depth and resolution of the images",
    ]

    public init(options: DPSGDOptions, steps: Int) {
        self.options = options
        self.steps = steps
        epsilon = (try? options.epsilon(afterSteps: steps)) ?? .infinity
    }

    /// The JSON object of the guarantee (`"epsilon"`, `"delta"`, `"noise_multiplier"`, `"sample_rate"`,
    /// `"steps"`, `"max_grad_norm"`, `"noise_draws"`, `"accountant"`, `"not_covered"`); an infinite ε
    /// is written as the string `"inf"`.
    public var jsonObject: [String: Any] {
        [
            "epsilon": epsilon.isFinite ? epsilon as Any : "inf", "delta": options.delta,
            "noise_multiplier": options.noiseMultiplier, "sample_rate": options.sampleRate, "steps": steps,
            "max_grad_norm": options.maxGradNorm, "noise_draws": options.noiseDraws,
            "target_epsilon": options.targetEpsilon.map { $0 as Any } ?? NSNull(),
            "accountant": options.accountant.description, "not_covered": Self.notCovered,
        ]
    }

    /// The guarantee as a sample manifest states it. Sampling is post-processing, so the images
    /// carry the model's guarantee unchanged — unless they were screened against the training
    /// images (re-drawn when they came too close), which reads the data again: then a
    /// `"screening"` note says the guarantee does not cover which images were kept.
    public func manifestObject(screenedAgainstTrainingImages screened: Bool) -> [String: Any] {
        var object = jsonObject
        if screened {
            object["screening"] = "re-drawn against the training images (--exclude-memorized): the guarantee does not cover which images were kept"
        }
        return object
    }

    /// Reads ``jsonObject``'s form back; nil when a field is missing or of the wrong type.
    public init?(jsonObject object: [String: Any]) {
        func number(_ key: String) -> Double? { (object[key] as? NSNumber)?.doubleValue }
        guard let delta = number("delta"), let sigma = number("noise_multiplier"), let rate = number("sample_rate"),
              let steps = object["steps"] as? Int, let norm = number("max_grad_norm"),
              let draws = object["noise_draws"] as? Int else { return nil }
        let epsilon = number("epsilon") ?? (object["epsilon"] as? String == "inf" ? .infinity : nil)
        guard let epsilon else { return nil }
        let accountant = DPSGDOptions.Accountant.allCases.first { (object["accountant"] as? String)?.hasPrefix($0.rawValue) == true }
        options = DPSGDOptions(noiseMultiplier: sigma, maxGradNorm: norm, sampleRate: rate, noiseDraws: draws,
                               delta: delta, targetEpsilon: number("target_epsilon"), accountant: accountant ?? .rdp)
        self.steps = steps
        self.epsilon = epsilon
    }
}
