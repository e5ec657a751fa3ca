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
        try validate(orders: orders)
        return try calibrateNoise(targetEpsilon: targetEpsilon, delta: delta, sampleRate: sampleRate, steps: steps,
                                  epsilonTolerance: epsilonTolerance) { sigma in
            let rdp = uncheckedRDP(noiseMultiplier: sigma, sampleRate: sampleRate, steps: steps, orders: orders)
            return uncheckedPrivacySpent(orders: orders, rdp: rdp, delta: delta).epsilon
        }
    }
}

extension PRVAccountant {
    /// The noise multiplier σ that keeps `steps` steps at sample rate q within (ε, δ) by the PRV
    /// accountant's upper bound, found as Opacus's `get_noise_multiplier` (accountant "prv") finds it:
    /// the bracket and bisection of ``RDPAccountant/noiseMultiplier(targetEpsilon:delta:sampleRate:steps:orders:epsilonTolerance:)``.
    /// A σ so small that the PRV grid cannot be built counts as over the target.
    ///
    /// - Throws: ``AccountingError`` for inputs out of range or an unreachable target.
    /// - Complexity: about 20 PRV evaluations (a second or more each for runs of thousands of steps).
    public static func noiseMultiplier(targetEpsilon: Double, delta: Double, sampleRate: Double, steps: Int,
                                       epsilonTolerance: Double = 0.01) throws -> Double {
        try calibrateNoise(targetEpsilon: targetEpsilon, delta: delta, sampleRate: sampleRate, steps: steps,
                                  epsilonTolerance: epsilonTolerance) { sigma in
            let accountant = PRVAccountant(segments: [try RDPAccountant.Segment(noiseMultiplier: sigma, sampleRate: sampleRate, steps: steps)])
            return (try? accountant.epsilon(delta: delta)) ?? .infinity
        }
    }
}

/// Opacus's `get_noise_multiplier` search, for any accountant's ε(σ):
///
/// 1. bracket: σ = 20, 40, 80, … until ε(σ) ≤ the target; past σ = 10⁶ the target is unreachable;
/// 2. bisect between 0 and that σ until ε(σ_high) is within `epsilonTolerance` below the target.
///
/// Returns σ_high, with target − tolerance ≤ ε(σ_high) ≤ target. (Where no representable σ lies
/// between the bisection's ends, which Opacus would loop on forever, it stops and returns σ_high.)
/// Checks the inputs both accountants share first: target and tolerance positive and finite,
/// δ in (0, 1), q in (0, 1], steps ≥ 1.
func calibrateNoise(targetEpsilon: Double, delta: Double, sampleRate: Double, steps: Int, epsilonTolerance: Double,
                    epsilon: (Double) throws -> Double) throws -> Double {
    guard targetEpsilon > 0, targetEpsilon.isFinite else {
        throw AccountingError("the target ε must be positive and finite, got \(targetEpsilon)")
    }
    guard epsilonTolerance > 0, epsilonTolerance.isFinite else {
        throw AccountingError("the ε tolerance must be positive and finite, got \(epsilonTolerance)")
    }
    try RDPAccountant.validate(delta: delta)
    try RDPAccountant.Segment.validate(noiseMultiplier: 1, sampleRate: sampleRate, steps: steps)
    var epsilonHigh = Double.infinity
    var sigmaLow = 0.0
    var sigmaHigh = 10.0
    while epsilonHigh > targetEpsilon {
        sigmaHigh = 2 * sigmaHigh
        epsilonHigh = try epsilon(sigmaHigh)
        if sigmaHigh > RDPAccountant.maximumNoiseMultiplier {
            throw AccountingError(
                "the privacy budget is too low: ε = \(targetEpsilon) at δ = \(delta) is not reached with "
                    + "\(steps) steps at sample rate \(sampleRate) by any noise multiplier up to \(sigmaHigh)")
        }
    }
    while targetEpsilon - epsilonHigh > epsilonTolerance {
        let sigma = (sigmaLow + sigmaHigh) / 2
        if sigma <= sigmaLow || sigma >= sigmaHigh { break }
        let epsilonMid = try epsilon(sigma)
        if epsilonMid < targetEpsilon {
            sigmaHigh = sigma
            epsilonHigh = epsilonMid
        } else {
            sigmaLow = sigma
        }
    }
    return sigmaHigh
}
