import Foundation

/// The PRV accountant of DP-SGD (Gopi, Lee & Wutschitz 2021, "Numerical Composition of
/// Differential Privacy"): ε from the distribution of the run's total privacy loss, computed
/// numerically, which is tighter than the RDP bound (``RDPAccountant``) — often by 10–30% — and
/// is Opacus's default. It gives ε as Opacus 1.6's `PRVAccountant` does (tested against it and
/// against Google dp-accounting's PLD accountant):
///
/// 1. **Domain.** The loss is kept on t ∈ [−L, L] with L = max(ε_RDP(δ_err/4) of the run,
///    ε_RDP(δ_err/(8T)) of one step, ε_err) + 3, on a grid of mesh
///    Δ = ε_err / √(T·log(12/δ_err)/2) (T steps; Remark 5.6 of the paper). Here the grid has a
///    power-of-two number of points, at least Opacus's, so it reaches a little past ±L.
/// 2. **Discretization.** Each segment's one-step loss (``SubsampledGaussianLoss``), truncated to
///    the grid's range, puts on grid point t_j the mass F(t_j + Δ/2) − F(t_j − Δ/2); the grid is
///    then shifted by the truncated loss's mean minus the discrete mean, so means agree.
/// 3. **Composition.** The T-fold sum's masses are the inverse Fourier transform of the product of
///    each segment's transform raised to its step count (a circular convolution: the grid is wide
///    enough that no mass wraps), rotated so the grid stays centred, shifted by Σ Tᵢ·shiftᵢ.
/// 4. **ε.** With masses p_k at t_k, δ(ε) = Σ_{t_k > ε} p_k (1 − e^{ε − t_k}) decreases in ε; ε(δ)
///    solves it exactly between grid points. The bounds add the discretization's guarantee:
///    upper = ε(δ − δ_err) + ε_err, lower = ε(δ + δ_err) − ε_err, with ε_err = 0.01 and
///    δ_err = δ/1000 by default. ``epsilon(delta:)`` reports the upper bound, as Opacus does.
///
/// ```swift
/// let accountant = try PRVAccountant(segments: [.init(noiseMultiplier: 1.1, sampleRate: 0.004, steps: 10_000)])
/// let epsilon = try accountant.epsilon(delta: 1e-5)
/// ```
public struct PRVAccountant: Sendable, Hashable {
    /// The steps so far, oldest first (the RDP accountant's segments: consecutive steps with the
    /// same σ and q).
    public let segments: [RDPAccountant.Segment]

    /// ε's estimate and the bounds that hold whatever the discretization error.
    public struct Bounds: Sendable, Hashable {
        public var lower: Double, estimate: Double, upper: Double
    }

    public init(segments: [RDPAccountant.Segment]) {
        self.segments = segments
    }

    /// The number of steps taken.
    public var steps: Int { segments.reduce(0) { $0 + $1.steps } }

    /// The upper bound of ``bounds(delta:epsilonError:deltaError:)``: the ε the run can claim.
    public func epsilon(delta: Double) throws -> Double {
        try bounds(delta: delta).upper
    }

    /// ε at δ, with the lower and upper bounds that the discretization guarantees (step 4 above).
    ///
    /// - Parameters:
    ///   - delta: δ, in (0, 1).
    ///   - epsilonError: ε_err, the ε discretization error allowed; positive.
    ///   - deltaError: δ_err, in (0, δ); nil takes δ/1000.
    /// - Throws: ``AccountingError`` for inputs out of range, or when the grid cannot resolve δ
    ///   (δ − δ_err below the rounding of the sums, or δ above what the grid's lowest point gives).
    /// - Complexity: O(N log N) for a grid of N points, N ≈ 2L/Δ rounded up to a power of two
    ///   (2¹⁸–2²⁰ for typical runs of 10²–10⁴ steps).
    public func bounds(delta: Double, epsilonError: Double = 0.01, deltaError: Double? = nil) throws -> Bounds {
        guard delta > 0, delta < 1 else { throw AccountingError("δ must be in (0, 1), got \(delta)") }
        guard epsilonError > 0, epsilonError.isFinite else {
            throw AccountingError("the ε error must be positive and finite, got \(epsilonError)")
        }
        let deltaError = deltaError ?? delta / 1000
        guard deltaError > 0, deltaError < delta else {
            throw AccountingError("the δ error must be in (0, δ), got \(deltaError)")
        }
        let totalSteps = steps
        guard totalSteps > 0 else { return Bounds(lower: 0, estimate: 0, upper: 0) }

        // 1. Domain.
        var reach = try RDPAccountant(segments: segments).epsilon(delta: deltaError / 4)
        for segment in segments {
            let one = try RDPAccountant(segments: [RDPAccountant.Segment(
                noiseMultiplier: segment.noiseMultiplier, sampleRate: segment.sampleRate, steps: 1)])
            reach = max(reach, try one.epsilon(delta: deltaError / (8 * Double(totalSteps))))
        }
        guard reach.isFinite else { throw AccountingError("the RDP bound that sizes the PRV grid is infinite") }
        let halfWidth = max(reach, epsilonError) + 3
        let mesh = epsilonError / (Double(totalSteps) * log(12 / deltaError) / 2).squareRoot()
        let halfPoints = Int((halfWidth / mesh).rounded(.up))
        var count = 1
        while count < 2 * halfPoints + 2 { count *= 2 }
        guard count <= 1 << 26 else {
            throw AccountingError("the PRV grid would need \(count) points; use the RDP accountant for this run")
        }
        guard Double.ulpOfOne * Double(count) < delta - deltaError else {
            throw AccountingError("δ = \(delta) is too small for the PRV grid's rounding; use the RDP accountant")
        }
        let grid = Grid(count: count, mesh: mesh)
        let (masses, totalShift) = try composedMasses(on: grid)
        let curve = PrivacyCurve(masses: masses, grid: grid, shift: totalShift)
        return Bounds(lower: try curve.epsilon(at: delta + deltaError) - epsilonError,
                      estimate: try curve.epsilon(at: delta),
                      upper: try curve.epsilon(at: delta - deltaError) + epsilonError)
    }

    /// The grid t_j = (j − center)·mesh, j = 0 … count − 1, centred at count/2 − 1.
    struct Grid {
        let count: Int, mesh: Double
        var center: Int { count / 2 - 1 }
        var lower: Double { -Double(center) * mesh }
        var upper: Double { Double(count - 1 - center) * mesh }
        func t(_ j: Int) -> Double { Double(j - center) * mesh }
    }

    /// Steps 2–3: the masses of the run's total loss on `grid`, whose points are shifted by the
    /// returned amount.
    func composedMasses(on grid: Grid) throws -> (masses: [Double], shift: Double) {
        let count = grid.count, mesh = grid.mesh
        let fourier = FastFourierTransform(count: count)
        var spectrumReal = [Double](repeating: 1, count: count), spectrumImaginary = [Double](repeating: 0, count: count)
        var totalShift = 0.0
        for segment in segments {
            let loss = TruncatedLoss(SubsampledGaussianLoss(sampleRate: segment.sampleRate,
                                                            noiseMultiplier: segment.noiseMultiplier),
                                     lower: grid.lower, upper: grid.upper)
            var real = [Double](repeating: 0, count: count), imaginary = real
            var discreteMean = 0.0
            real.withUnsafeMutableBufferPointer { buffer in
                let p = buffer.baseAddress!
                var previous = loss.cdf(grid.lower - mesh / 2)
                for j in 0..<count {
                    let t = grid.t(j), next = loss.cdf(t + mesh / 2)
                    p[j] = next - previous
                    discreteMean += t * p[j]
                    previous = next
                }
            }
            let shift = loss.mean() - discreteMean
            guard abs(shift) < mesh / 2 else {
                throw AccountingError("the discretized privacy loss's mean is off by \(shift), over half the mesh \(mesh)")
            }
            totalShift += Double(segment.steps) * shift
            fourier.transform(real: &real, imaginary: &imaginary)
            Self.multiply(&spectrumReal, &spectrumImaginary, by: real, imaginary, raisedTo: Double(segment.steps))
        }
        fourier.transform(real: &spectrumReal, imaginary: &spectrumImaginary, inverse: true)
        // The sum of T grid indices is the composed index + (T − 1)·center.
        let rotation = ((steps - 1) % count) * grid.center % count
        return (Array(spectrumReal[rotation...] + spectrumReal[..<rotation]), totalShift)
    }

    /// `spectrum ·= transform^power`, element-wise, in polar form.
    private static func multiply(_ spectrumReal: inout [Double], _ spectrumImaginary: inout [Double],
                                 by real: [Double], _ imaginary: [Double], raisedTo power: Double) {
        spectrumReal.withUnsafeMutableBufferPointer { sr in
            spectrumImaginary.withUnsafeMutableBufferPointer { si in
                for k in 0..<real.count {
                    let (x, y) = (real[k], imaginary[k])
                    let magnitude = pow((x * x + y * y).squareRoot(), power), angle = atan2(y, x) * power
                    let (r, i) = (magnitude * cos(angle), magnitude * sin(angle))
                    (sr[k], si[k]) = (sr[k] * r - si[k] * i, sr[k] * i + si[k] * r)
                }
            }
        }
    }
}

/// Step 4: δ(ε) of a discrete privacy loss, with masses p_k at points t_k (increasing):
/// δ(ε) = Σ_{t_k > ε} p_k (1 − e^{ε − t_k}), from suffix sums of p_k and of p_k e^{−t_k}.
struct PrivacyCurve {
    /// Σ_{k ≥ j} p_k and Σ_{k ≥ j} p_k e^{−t_k}.
    private let tail: [Double], weightedTail: [Double]
    private let grid: PRVAccountant.Grid, shift: Double

    init(masses: [Double], grid: PRVAccountant.Grid, shift: Double) {
        self.grid = grid
        self.shift = shift
        let count = masses.count
        var tail = [Double](repeating: 0, count: count), weightedTail = tail
        var sum = 0.0, weighted = 0.0
        for j in stride(from: count - 1, through: 0, by: -1) {
            sum += masses[j]
            weighted += masses[j] * exp(-(grid.t(j) + shift))
            tail[j] = sum
            weightedTail[j] = weighted
        }
        self.tail = tail
        self.weightedTail = weightedTail
    }

    /// The ε with δ(ε) = `target`: at the first point whose δ is at most the target, δ(ε) on the
    /// interval below it is tail − e^ε·weightedTail, solved exactly.
    func epsilon(at target: Double) throws -> Double {
        var low = 0, high = tail.count
        while low < high {
            let middle = (low + high) / 2
            if exp(grid.t(middle) + shift) * weightedTail[middle] - tail[middle] >= -target { high = middle } else { low = middle + 1 }
        }
        guard low > 0, low < tail.count else { throw AccountingError("the PRV grid cannot resolve δ = \(target)") }
        return log((tail[low] - target) / weightedTail[low])
    }
}
