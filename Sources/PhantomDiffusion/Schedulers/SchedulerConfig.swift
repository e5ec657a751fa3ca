/// The configuration of a diffusers scheduler (its `scheduler_config.json`), restricted
/// to what Phantom implements: `DDPMScheduler`, `DDIMScheduler` and
/// `DPMSolverMultistepScheduler` as DPM-Solver++ (1S/2M).
///
/// One flat record holds the keys of all three classes, like diffusers' config dicts;
/// each field's comment says which classes read it. Reading a file rejects every value
/// that would change the computation in a way Phantom does not implement (see
/// ``init(json:source:)``); writing produces the keys diffusers writes for ``kind``.
public struct SchedulerConfig: Equatable, Sendable {
    /// The diffusers class (`_class_name`).
    public enum Kind: String, Sendable, CaseIterable {
        case ddpm = "DDPMScheduler"
        case ddim = "DDIMScheduler"
        case dpmSolverMultistep = "DPMSolverMultistepScheduler"
    }

    /// DDPM's variance of the reverse step (`variance_type`).
    public enum VarianceType: String, Sendable, CaseIterable {
        /// β̃_t = (1 − ᾱ_{t−1}) / (1 − ᾱ_t) · β_t, the posterior variance.
        case fixedSmall = "fixed_small"
        /// β_t.
        case fixedLarge = "fixed_large"
    }

    /// The second-order DPM-Solver++ update (`solver_type`).
    public enum SolverType: String, Sendable, CaseIterable {
        case midpoint, heun
    }

    /// The σ after the last DPM-Solver++ step (`final_sigmas_type`).
    public enum FinalSigmas: String, Sendable, CaseIterable {
        /// σ = 0: the last step returns the model's x₀ estimate.
        case zero
        /// σ at training timestep 0.
        case sigmaMin = "sigma_min"
    }

    /// The file name diffusers gives the configuration.
    public static let fileName = "scheduler_config.json"

    public var kind: Kind
    /// T, the number of training timesteps (`num_train_timesteps`).
    public var numTrainTimesteps = 1000
    public var betaStart = 0.0001
    public var betaEnd = 0.02
    public var betaSchedule: BetaSchedule = .linear
    public var predictionType: PredictionType = .epsilon
    /// Default: `leading` for DDPM and DDIM, `linspace` for DPM-Solver.
    public var timestepSpacing: TimestepSpacing
    /// Added to `leading` timesteps (the other spacings ignore it).
    public var stepsOffset = 0

    /// DDPM and DDIM: clamp the x₀ estimate to ±``clipSampleRange``.
    public var clipSample = true
    /// DDPM and DDIM.
    public var clipSampleRange = 1.0
    /// DDPM only.
    public var varianceType: VarianceType = .fixedSmall
    /// DDIM only: ᾱ before timestep 0 is 1 (true) or ᾱ_0 (false).
    public var setAlphaToOne = true

    /// DPM-Solver only: 1 or 2.
    public var solverOrder = 2
    /// DPM-Solver only.
    public var solverType: SolverType = .midpoint
    /// DPM-Solver only: first-order last step when there are fewer than 15 steps.
    public var lowerOrderFinal = true
    /// DPM-Solver only: always a first-order (Euler) last step.
    public var eulerAtFinal = false
    /// DPM-Solver only.
    public var finalSigmasType: FinalSigmas = .zero

    /// Keys found in the file that Phantom ignores: unknown to the class, or unused by it.
    public var ignoredKeys: [String] = []

    /// diffusers' defaults for `kind`.
    public init(kind: Kind) {
        self.kind = kind
        timestepSpacing = kind == .dpmSolverMultistep ? .linspace : .leading
    }

    /// The forward process these settings describe, for training.
    public var noiseSchedule: NoiseSchedule {
        NoiseSchedule(trainTimesteps: numTrainTimesteps, betaStart: betaStart, betaEnd: betaEnd,
                      betaSchedule: betaSchedule, predictionType: predictionType)
    }
}
