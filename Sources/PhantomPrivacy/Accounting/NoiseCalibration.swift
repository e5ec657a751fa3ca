extension RDPAccountant {
    /// The largest σ that ``noiseMultiplier(targetEpsilon:delta:sampleRate:steps:orders:epsilonTolerance:)``
    /// tries before giving up: Opacus's `MAX_SIGMA` (10⁶). The bracket doubles σ from 20, so the last
    /// σ tried is 20·2¹⁶ = 1,310,720.
    public static let maximumNoiseMultiplier = 1e6

    /// The noise multiplier σ that keeps `steps` steps at sample rate q within (ε, δ), found as
    /// Opacus's `get_noise_multiplier` (accountant "rdp") finds it, step for step:
    ///
    /// 1. bracket: σ = 20, 40, 80, … until ε(σ) ≤ the target (ε(σ) is the ε of `steps` steps at
    ///    (σ, q) by ``privacySpent(delta:)``); past σ = 10⁶ the target is unreachable;
    /// 2. bisect between 0 and that σ until ε(σ_high) is within `epsilonTolerance` below the target.
    ///
    /// The result σ_high satisfies target − tolerance ≤ ε(σ_high) ≤ target: the noise is at most a
    /// little larger than needed, never smaller. (Where no representable σ lies between the
    /// bisection's ends, which Opacus would loop on forever, it stops and returns σ_high.)
    ///
    /// - Parameters:
    ///   - targetEpsilon: the ε to reach, positive and finite.
    ///   - delta: δ, in (0, 1).
    ///   - sampleRate: q in (0, 1].
    ///   - steps: the planned number of steps, at least 1.
    ///   - orders: the RDP orders, Opacus's by default.
    ///   - epsilonTolerance: how far below the target ε(σ) may end, positive; Opacus's 0.01 by default.
    /// - Throws: ``AccountingError`` for an input outside those ranges, or when even σ > 10⁶ gives
    ///   ε above the target (ε(σ) never falls below the conversion's floor
    ///   min_α −(log δ + log α)/(α − 1) + log((α − 1)/α), about 0.10 for δ = 1e-5 at Opacus's orders).
    /// - Complexity: about 20 evaluations of ε, each one RDP per order.
    public static func noiseMultiplier(targetEpsilon: Double, delta: Double, sampleRate: Double, steps: Int,
                                       orders: [Double] = RDPAccountant.defaultOrders,
                                       epsilonTolerance: Double = 0.01) throws -> Double {
        guard targetEpsilon > 0, targetEpsilon.isFinite else {
            throw AccountingError("the target ε must be positive and finite, got \(targetEpsilon)")
        }
        guard epsilonTolerance > 0, epsilonTolerance.isFinite else {
            throw AccountingError("the ε tolerance must be positive and finite, got \(epsilonTolerance)")
        }
        try validate(delta: delta)
        try validate(orders: orders)
        guard sampleRate > 0, sampleRate <= 1 else {
            throw AccountingError("the sample rate must be in (0, 1], got \(sampleRate)")
        }
        guard steps >= 1 else {
            throw AccountingError("the number of steps must be at least 1, got \(steps)")
        }

        func epsilon(_ sigma: Double) -> Double {
            let rdp = uncheckedRDP(noiseMultiplier: sigma, sampleRate: sampleRate, steps: steps, orders: orders)
            return uncheckedPrivacySpent(orders: orders, rdp: rdp, delta: delta).epsilon
        }

        var epsilonHigh = Double.infinity
        var sigmaLow = 0.0
        var sigmaHigh = 10.0
        while epsilonHigh > targetEpsilon {
            sigmaHigh = 2 * sigmaHigh
            epsilonHigh = epsilon(sigmaHigh)
            if sigmaHigh > maximumNoiseMultiplier {
                throw AccountingError(
                    "the privacy budget is too low: ε = \(targetEpsilon) at δ = \(delta) is not reached with "
                        + "\(steps) steps at sample rate \(sampleRate) by any noise multiplier up to \(sigmaHigh)")
            }
        }
        while targetEpsilon - epsilonHigh > epsilonTolerance {
            let sigma = (sigmaLow + sigmaHigh) / 2
            if sigma <= sigmaLow || sigma >= sigmaHigh { break }
            let epsilonMid = epsilon(sigma)
            if epsilonMid < targetEpsilon {
                sigmaHigh = sigma
                epsilonHigh = epsilonMid
            } else {
                sigmaLow = sigma
            }
        }
        return sigmaHigh
    }
}
