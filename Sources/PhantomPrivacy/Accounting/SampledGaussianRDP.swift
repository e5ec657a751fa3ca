import Foundation

/// The Rényi differential privacy of one step of the Poisson-subsampled Gaussian mechanism, in
/// Float64, operation for operation as Opacus 1.6 computes it (`opacus/accountants/analysis/rdp.py`,
/// itself TF Privacy's `rdp_accountant.py`), so that the two agree to rounding.
///
/// One DP-SGD step adds each example's clipped gradient (sensitivity 1 after dividing by the
/// clipping norm C) with probability q, then Gaussian noise N(0, σ²). With μ₀ = N(0, σ²) and
/// μ = (1 − q)·μ₀ + q·N(1, σ²), its RDP at order α is (Mironov, Talwar & Zhang 2019, "Rényi
/// Differential Privacy of the Sampled Gaussian Mechanism", Section 3)
///
///     RDP(α) = log A_α / (α − 1),    A_α = E_{z~μ₀}[(μ(z) / μ₀(z))^α]
///
/// computed in log space, as the paper's Section 3.3 does:
///
/// - integer α: the binomial expansion
///   `A_α = Σ_{i=0}^{α} C(α, i) (1 − q)^{α−i} q^i exp((i² − i) / (2σ²))`;
/// - fractional α: the integral split at z₀ = σ² log(1/q − 1) + 1/2 into A₀ + A₁, each an
///   alternating series in the generalized binomial C(α, i) with erfc terms
///   `½ erfc((i − z₀) / (√2 σ))` and `½ erfc((z₀ − (α − i)) / (√2 σ))`, summed until both new
///   terms are below e⁻³⁰.
///
/// Special cases as Opacus: q = 0 gives 0, σ = 0 gives +∞, and q = 1 (no subsampling) the plain
/// Gaussian mechanism's α / (2σ²) (Mironov 2017, "Rényi Differential Privacy", Proposition 7).
enum SampledGaussianRDP {
    /// RDP of one step at order `alpha` (Opacus `_compute_rdp`).
    ///
    /// - Complexity: O(α) for an integer order; for a fractional order, the number of series
    ///   terms until they fall below e⁻³⁰ (a few for large σ and small q, thousands for σ ≈ 1
    ///   and q ≈ 0.3 at α ≈ 1.1).
    static func rdp(sampleRate q: Double, noiseMultiplier sigma: Double, order alpha: Double) -> Double {
        if q == 0 { return 0 }
        if sigma == 0 { return .infinity }
        if q == 1 { return alpha / (2 * (sigma * sigma)) }
        if alpha.isInfinite { return .infinity }
        return logA(q: q, sigma: sigma, alpha: alpha) / (alpha - 1)
    }

    /// log A_α for 0 < q < 1 (Opacus `_compute_log_a`): the finite sum for an integer order, the
    /// two erfc series for a fractional one.
    static func logA(q: Double, sigma: Double, alpha: Double) -> Double {
        if alpha.rounded(.down) == alpha, alpha < Double(Int.max / 4) {
            return logAInteger(q: q, sigma: sigma, alpha: Int(alpha))
        }
        return logAFractional(q: q, sigma: sigma, alpha: alpha)
    }

    /// `log Σ_{i=0}^{α} C(α, i) (1 − q)^{α−i} q^i exp((i² − i) / (2σ²))` (Opacus `_compute_log_a_for_int_alpha`).
    static func logAInteger(q: Double, sigma: Double, alpha: Int) -> Double {
        let logQ = log(q)
        let logOneMinusQ = log(1 - q)
        let twoSigmaSquared = 2 * (sigma * sigma)
        var logSum = -Double.infinity
        for i in 0...alpha {
            let logCoefficient = log(binomial(Double(alpha), i)) + Double(i) * logQ + Double(alpha - i) * logOneMinusQ
            let term = logCoefficient + Double(i * i - i) / twoSigmaSquared
            logSum = logAdd(logSum, term)
        }
        return logSum
    }

    /// log(A₀ + A₁) for a fractional order (Opacus `_compute_log_a_for_frac_alpha`), with
    ///
    ///     A₀ = Σᵢ C(α, i) q^i (1 − q)^{α−i} exp((i² − i) / (2σ²)) · ½ erfc((i − z₀) / (√2 σ))
    ///     A₁ = Σᵢ C(α, i) q^{α−i} (1 − q)^i exp((j² − j) / (2σ²)) · ½ erfc((z₀ − j) / (√2 σ)),  j = α − i
    ///
    /// Terms with a negative coefficient (i > α, alternately) are subtracted in log space. The
    /// sum stops after the first i where both terms are below e⁻³⁰.
    static func logAFractional(q: Double, sigma: Double, alpha: Double) -> Double {
        var logA0 = -Double.infinity
        var logA1 = -Double.infinity
        let z0 = (sigma * sigma) * log(1 / q - 1) + 0.5
        let logQ = log(q)
        let logOneMinusQ = log(1 - q)
        let twoSigmaSquared = 2 * (sigma * sigma)
        let sqrtTwoSigma = 2.0.squareRoot() * sigma
        let logHalf = log(0.5)
        var coefficient = 1.0
        var i = 0
        while true {
            // scipy's `binom` for i < 20; beyond, the recurrence C(α, i) = C(α, i − 1)·(α − i + 1)/i
            // (scipy switches to 1/((α + 1)·B(α − i + 1, i + 1)) there; the two differ by ~1e-13
            // relative on terms below e⁻¹⁴ of the sum).
            coefficient = i < 20 ? binomial(alpha, i) : coefficient * (alpha - Double(i) + 1) / Double(i)
            let logCoefficient = log(abs(coefficient))
            let j = alpha - Double(i)

            let logT0 = logCoefficient + Double(i) * logQ + j * logOneMinusQ
            let logT1 = logCoefficient + j * logQ + Double(i) * logOneMinusQ

            let logE0 = logHalf + logErfc((Double(i) - z0) / sqrtTwoSigma)
            let logE1 = logHalf + logErfc((z0 - j) / sqrtTwoSigma)

            let logS0 = logT0 + Double(i * i - i) / twoSigmaSquared + logE0
            let logS1 = logT1 + (j * j - j) / twoSigmaSquared + logE1

            if coefficient > 0 {
                logA0 = logAdd(logA0, logS0)
                logA1 = logAdd(logA1, logS1)
            } else {
                logA0 = logSubtract(logA0, logS0)
                logA1 = logSubtract(logA1, logS1)
            }
            i += 1
            if max(logS0, logS1) < -30 || logA0.isNaN || logA1.isNaN { break }
        }
        return logAdd(logA0, logA1)
    }

    /// log(eˣ + eʸ) without leaving log space (Opacus `_log_add`).
    static func logAdd(_ x: Double, _ y: Double) -> Double {
        let a = min(x, y)
        let b = max(x, y)
        if a == -.infinity { return b }
        return log1p(exp(a - b)) + b
    }

    /// log(eˣ − eʸ) for x ≥ y (Opacus `_log_sub`). Opacus raises when x < y; this returns NaN,
    /// which makes the order's RDP NaN, and the ε conversion skips NaN orders.
    static func logSubtract(_ x: Double, _ y: Double) -> Double {
        if x < y { return .nan }
        if y == -.infinity { return x }
        if x == y { return -.infinity }
        let difference = expm1(x - y)
        if difference.isInfinite { return x }  // Python's OverflowError branch
        return log(difference) + y
    }

    /// log erfc(x), finite for every finite x (Opacus `_log_erfc`: log 2 + `scipy.special.log_ndtr(−√2·x)`).
    ///
    /// With t = −x·√2·(1/√2) ≈ −x, scipy's `log_ndtr(a)` is `log1p(−erfc(t)/2)` for a ≥ −1 and
    /// `log(erfcx(−t)/2) − t²` below. Here, for a < −1 (x > 1/√2), `log(erfc(x)/2)` while erfc(x)
    /// is a normal number (x < 26, where glibc's erfc is accurate to an ulp), and beyond it the
    /// asymptotic series of the scaled function,
    ///
    ///     erfcx(x) = e^{x²} erfc(x) = 1/(x√π) · Σ_n (−1)ⁿ (2n − 1)!! / (2x²)ⁿ,
    ///
    /// which at x ≥ 26 converges to Float64 precision in seven terms (Abramowitz & Stegun 7.1.23).
    static func logErfc(_ x: Double) -> Double {
        let a = -x * 2.0.squareRoot()
        let t = a * 0.70710678118654752440  // M_SQRT1_2
        let logNdtr: Double
        if a < -1 {
            let y = -t
            if y < 26 {
                logNdtr = log(erfc(y) / 2)
            } else {
                logNdtr = log(scaledErfcAsymptotic(y) / 2) - t * t
            }
        } else {
            logNdtr = log1p(-erfc(t) / 2)
        }
        return log(2.0) + logNdtr
    }

    /// erfcx(y) = e^{y²} erfc(y) for y ≥ 26 by its asymptotic series, summed until a term is below
    /// 1e-17 of the sum (the terms keep shrinking until n ≈ y², far beyond that).
    static func scaledErfcAsymptotic(_ y: Double) -> Double {
        let inverseTwoYSquared = 1 / (2 * y * y)
        var term = 1.0
        var sum = 1.0
        var n = 1
        while n < 40 {
            term *= -Double(2 * n - 1) * inverseTwoYSquared
            sum += term
            if abs(term) < 1e-17 * sum { break }
            n += 1
        }
        return sum / (y * 1.7724538509055160273)  // √π
    }

    /// The binomial coefficient C(n, k) for real n and integer 0 ≤ k, as scipy's `special.binom`
    /// computes it for k < 20: the product formula with C(n, k) = C(n, n − k) for integer n, and the
    /// running quotient renormalized when the numerator passes 1e50. For larger k (scipy uses the
    /// beta function there), the same product, which is exact to a few ulps.
    static func binomial(_ n: Double, _ k: Int) -> Double {
        var kx = Double(k)
        let nx = n.rounded(.down)
        if nx == n && kx > nx / 2 && nx > 0 {
            kx = nx - kx
        }
        if kx < 0 { return 0 }
        var numerator = 1.0
        var denominator = 1.0
        var i = 1
        while Double(i) < 1 + kx {
            numerator *= Double(i) + n - kx
            denominator *= Double(i)
            if abs(numerator) > 1e50 {
                numerator /= denominator
                denominator = 1
            }
            i += 1
        }
        return numerator / denominator
    }
}
