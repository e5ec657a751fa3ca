import ArgumentParser
import PhantomDiffusion
import PhantomPrivacy

extension DPSGDOptions.Accountant: ExpressibleByArgument {}

/// `phantom train`'s differential-privacy options: any of them turns on DP-SGD.
struct PrivacyOptionGroup: ParsableArguments {
    @Option(name: .customLong("dp-epsilon"), help: "Train with DP-SGD to this ε: the noise is calibrated for the planned steps (as Opacus's get_noise_multiplier).")
    var epsilon: Double?
    @Option(name: .customLong("dp-delta"), help: "δ of the DP guarantee (default 1/(10·N) for N training images).")
    var delta: Double?
    @Option(name: .customLong("dp-noise-multiplier"), help: "DP-SGD's noise multiplier σ, instead of --dp-epsilon (the run reports the ε it reaches).")
    var noiseMultiplier: Double?
    @Option(name: .customLong("dp-max-grad-norm"), help: "DP-SGD: the largest gradient norm C one image may contribute (default 1).")
    var maxGradNorm: Double?
    @Option(name: .customLong("dp-noise-draws"), help: "DP-SGD: (timestep, noise) draws averaged per image before clipping; K draws cost K passes and no privacy (default 1).")
    var noiseDraws: Int?
    @Option(name: .customLong("dp-accountant"), help: "DP-SGD: how ε is computed: rdp (Rényi DP, Opacus's orders; fast) or prv (the privacy-loss distribution composed numerically, as Opacus's default: a tighter ε, so less noise for the same ε; seconds to calibrate).")
    var accountant: DPSGDOptions.Accountant?

    /// Whether any DP option was given.
    var isEnabled: Bool {
        [epsilon, delta, noiseMultiplier, maxGradNorm].contains { $0 != nil } || noiseDraws != nil || accountant != nil
    }

    func validate() throws {
        guard isEnabled else { return }
        if epsilon != nil && noiseMultiplier != nil { throw ValidationError("give --dp-epsilon or --dp-noise-multiplier, not both") }
        if epsilon == nil && noiseMultiplier == nil { throw ValidationError("DP-SGD needs --dp-epsilon or --dp-noise-multiplier") }
        if let epsilon, !(epsilon > 0 && epsilon.isFinite) { throw ValidationError("--dp-epsilon must be positive") }
        if let delta, !(delta > 0 && delta < 1) { throw ValidationError("--dp-delta must be in (0, 1)") }
        if let noiseMultiplier, !(noiseMultiplier > 0 && noiseMultiplier.isFinite) { throw ValidationError("--dp-noise-multiplier must be positive") }
        if let maxGradNorm, !(maxGradNorm > 0 && maxGradNorm.isFinite) { throw ValidationError("--dp-max-grad-norm must be positive") }
        if let noiseDraws, noiseDraws < 1 { throw ValidationError("--dp-noise-draws must be at least 1") }
    }

    /// The library's DP-SGD request, nil when no DP option was given.
    var request: TrainingJob.PrivacyRequest? {
        guard isEnabled else { return nil }
        var request = TrainingJob.PrivacyRequest()
        request.targetEpsilon = epsilon
        request.noiseMultiplier = noiseMultiplier
        request.delta = delta
        request.maxGradNorm = maxGradNorm ?? request.maxGradNorm
        request.noiseDraws = noiseDraws ?? request.noiseDraws
        request.accountant = accountant
        return request
    }
}
