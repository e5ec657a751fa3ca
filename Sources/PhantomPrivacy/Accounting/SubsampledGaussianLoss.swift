import Foundation

/// The privacy loss random variable (PRV) of one step of the Poisson-subsampled Gaussian
/// mechanism: Y = log(P(X)/Q(X)) for X ~ P, with P = (1 − q)·N(0, σ²) + q·N(1, σ²) (the step with
/// the image, its clipped gradient scaled to 1) and Q = N(0, σ²) (without it). Its distribution
/// function (Gopi, Lee & Wutschitz 2021, "Numerical Composition of Differential Privacy",
/// Propositions B1 and B4), with z = log((eᵗ + q − 1)/q):
///
///     F(t) = 1 − (q/2)·erfc((2zσ² − 1)/(2√2σ)) − ((1 − q)/2)·erfc((2zσ² + 1)/(2√2σ)),   t > log(1 − q)
///     F(t) = 0,                                                                         t ≤ log(1 − q)
///
/// The PRV accountant composes steps by adding their PRVs (``PRVAccountant``).
struct SubsampledGaussianLoss {
    /// q, in (0, 1].
    let sampleRate: Double
    /// σ > 0.
    let noiseMultiplier: Double

    /// F(t) = P(Y ≤ t).
    func cdf(_ t: Double) -> Double {
        let q = sampleRate, sigma = noiseMultiplier
        let ratio = (expm1(t) + q) / q   // (eᵗ + q − 1)/q, without cancellation near t = log(1 − q)
        guard ratio > 0 else { return 0 }
        let z = log(ratio)
        let scaled = 2 * z * sigma * sigma, denominator = 2 * 2.0.squareRoot() * sigma
        return 1 - q * erfc((scaled - 1) / denominator) / 2 - (1 - q) * erfc((scaled + 1) / denominator) / 2
    }
}

/// A PRV conditioned on [lower, upper]: F_T(t) = (F(t) − F(lower)) / (F(upper) − F(lower)) inside,
/// 0 below, 1 above. The accountant discretizes it on its grid.
struct TruncatedLoss {
    let loss: SubsampledGaussianLoss
    let lower: Double, upper: Double
    private let base: Double, mass: Double

    init(_ loss: SubsampledGaussianLoss, lower: Double, upper: Double) {
        self.loss = loss
        self.lower = lower
        self.upper = upper
        base = loss.cdf(lower)
        mass = loss.cdf(upper) - base
    }

    func cdf(_ t: Double) -> Double {
        if t < lower { return 0 }
        if t >= upper { return 1 }
        return (loss.cdf(t) - base) / mass
    }

    /// E[Y_T] = upper − ∫_lower^upper F_T(t) dt (integration by parts), integrated by adaptive
    /// Gauss–Kronrod over pieces split at 0, at ±10⁻⁵…±10ᵏ and at the kink log(1 − q).
    func mean() -> Double {
        var cuts: Set<Double> = [lower, upper, 0]
        for exponent in -5...3 {
            let point = pow(10, Double(exponent))
            cuts.formUnion([point, -point])
        }
        if loss.sampleRate < 1 { cuts.insert(log1p(-loss.sampleRate)) }
        let points = cuts.filter { $0 >= lower && $0 <= upper }.sorted()
        var integral = 0.0
        for (left, right) in zip(points, points.dropFirst()) {
            integral += GaussKronrod.integrate(cdf, from: left, to: right, tolerance: 1e-14)
        }
        return upper - integral
    }
}

/// Adaptive 7–15-point Gauss–Kronrod quadrature (the nodes and weights of QUADPACK's QK15):
/// an interval is split in half until the Kronrod and Gauss estimates agree within the tolerance.
enum GaussKronrod {
    private static let nodes: [Double] = [
        0.991455371120812639206854697526329, 0.949107912342758524526189684047851,
        0.864864423359769072789712788640926, 0.741531185599394439863864773280788,
        0.586087235467691130294144845693013, 0.405845151377397166906606412076961,
        0.207784955007898467600689403773245, 0,
    ]
    private static let kronrodWeights: [Double] = [
        0.022935322010529224963732008058970, 0.063092092629978553290700663189204,
        0.104790010322250183839876322541518, 0.140653259715525918745189590510238,
        0.169004726639267902826583426598550, 0.190350578064785409913256402421014,
        0.204432940075298892414161999234649, 0.209482141084727828012999174891714,
    ]
    /// Weights of the 7-point Gauss rule, at nodes[1], nodes[3], nodes[5] and nodes[7].
    private static let gaussWeights: [Double] = [
        0.129484966168869693270611432679082, 0.279705391489276667901467771423780,
        0.381830050505118944950369775488975, 0.417959183673469387755102040816327,
    ]

    /// ∫_a^b f(t) dt to within about `tolerance` (absolute) or 10⁻¹⁵ of the value.
    static func integrate(_ f: (Double) -> Double, from a: Double, to b: Double, tolerance: Double,
                          depth: Int = 0) -> Double {
        let center = (a + b) / 2, halfLength = (b - a) / 2
        let middle = f(center)
        var kronrod = middle * kronrodWeights[7], gauss = middle * gaussWeights[3]
        for i in 0..<7 {
            let offset = halfLength * nodes[i]
            let pair = f(center - offset) + f(center + offset)
            kronrod += kronrodWeights[i] * pair
            if i % 2 == 1 { gauss += gaussWeights[i / 2] * pair }
        }
        kronrod *= halfLength
        gauss *= halfLength
        if abs(kronrod - gauss) <= max(tolerance, 1e-15 * abs(kronrod)) || depth >= 40 { return kronrod }
        return integrate(f, from: a, to: center, tolerance: tolerance / 2, depth: depth + 1)
            + integrate(f, from: center, to: b, tolerance: tolerance / 2, depth: depth + 1)
    }
}
