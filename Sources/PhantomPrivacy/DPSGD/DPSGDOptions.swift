import Foundation

/// The settings of differentially private training (DP-SGD; Abadi et al. 2016, "Deep Learning
/// with Differential Privacy", Algorithm 1, with Poisson sampling as Opacus does it):
///
/// 1. each step samples every training image independently with probability q (``sampleRate``);
/// 2. each sampled image's gradient gᵢ — the mean of its loss over ``noiseDraws`` (timestep,
///    noise) draws — is clipped to norm C (``maxGradNorm``): gᵢ · min(1, C / (‖gᵢ‖ + 10⁻⁶));
/// 3. the clipped gradients are summed, N(0, σ²C²) noise is added to every coordinate
///    (σ = ``noiseMultiplier``), and the sum is divided by the expected batch size q·N.
///
/// One image then changes the released gradient sum by at most C, and the run is (ε, δ)-DP with
/// ε from ``RDPAccountant`` for (σ, q, steps). Averaging K draws of one image before clipping
/// (DPDM's "noise multiplicity", Dockhorn et al. 2023) costs K passes and no privacy.
public struct DPSGDOptions: Equatable, Sendable, Codable {
    /// How ε is computed from (σ, q, steps, δ).
    public enum Accountant: String, Sendable, Codable, CaseIterable {
        /// Rényi DP with Opacus's orders (``RDPAccountant``): a closed-form bound, fast.
        case rdp
        /// The privacy-loss distribution composed numerically (``PRVAccountant``, its upper bound):
        /// tighter, so the same ε needs less noise; a fraction of a second to seconds per ε.
        case prv

        /// How a report names it.
        public var description: String {
            switch self {
            case .rdp: "rdp (Opacus 1.6 orders)"
            case .prv: "prv (Gopi et al. 2021, upper bound, ε error 0.01)"
            }
        }
    }

    /// σ: the noise's standard deviation over the clipping norm (0 only in tests: no guarantee).
    public var noiseMultiplier: Double
    /// C: the largest L2 norm one image's gradient may contribute.
    public var maxGradNorm: Double
    /// q: each image's probability of being in a step's batch (the expected batch over the dataset size).
    public var sampleRate: Double
    /// K: (timestep, noise) draws averaged per image before clipping.
    public var noiseDraws: Int
    /// δ of the (ε, δ) guarantee the run reports.
    public var delta: Double
    /// The ε the noise was calibrated for (nil when σ was given instead).
    public var targetEpsilon: Double?
    /// The accountant that calibrates σ and reports ε (runs recorded before there was a choice: RDP).
    public var accountant: Accountant

    public init(noiseMultiplier: Double, maxGradNorm: Double, sampleRate: Double, noiseDraws: Int = 1,
                delta: Double, targetEpsilon: Double? = nil, accountant: Accountant = .rdp) {
        self.noiseMultiplier = noiseMultiplier
        self.maxGradNorm = maxGradNorm
        self.sampleRate = sampleRate
        self.noiseDraws = noiseDraws
        self.delta = delta
        self.targetEpsilon = targetEpsilon
        self.accountant = accountant
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.init(noiseMultiplier: try container.decode(Double.self, forKey: .noiseMultiplier),
                  maxGradNorm: try container.decode(Double.self, forKey: .maxGradNorm),
                  sampleRate: try container.decode(Double.self, forKey: .sampleRate),
                  noiseDraws: try container.decode(Int.self, forKey: .noiseDraws),
                  delta: try container.decode(Double.self, forKey: .delta),
                  targetEpsilon: try container.decodeIfPresent(Double.self, forKey: .targetEpsilon),
                  accountant: try container.decodeIfPresent(Accountant.self, forKey: .accountant) ?? .rdp)
    }

    /// The settings for `steps` steps over `datasetSize` images at an expected batch of
    /// `expectedBatchSize` (q = batch / N), with σ either given or calibrated to `targetEpsilon` as
    /// Opacus's `get_noise_multiplier` does (``RDPAccountant/noiseMultiplier(targetEpsilon:delta:sampleRate:steps:orders:epsilonTolerance:)``).
    ///
    /// - Parameters:
    ///   - delta: δ; nil takes 1 / (10·N), below the 1/N at which one image could leak outright.
    ///   - targetEpsilon, noiseMultiplier: exactly one of them.
    ///   - accountant: how σ is calibrated and ε reported; nil takes RDP.
    /// - Throws: ``AccountingError`` when the inputs are out of range or ε cannot be reached.
    public static func plan(targetEpsilon: Double?, noiseMultiplier: Double?, delta: Double?, maxGradNorm: Double,
                            noiseDraws: Int, datasetSize: Int, expectedBatchSize: Int, steps: Int,
                            accountant: Accountant? = nil) throws -> DPSGDOptions {
        let accountant = accountant ?? .rdp
        guard datasetSize >= 1 else { throw AccountingError("DP-SGD needs at least one training image") }
        guard expectedBatchSize >= 1, expectedBatchSize <= datasetSize else {
            throw AccountingError("the expected batch size must be in 1...\(datasetSize) (the dataset size), got \(expectedBatchSize)")
        }
        guard maxGradNorm > 0, maxGradNorm.isFinite else {
            throw AccountingError("the clipping norm must be positive and finite, got \(maxGradNorm)")
        }
        guard noiseDraws >= 1 else { throw AccountingError("the noise draws per image must be at least 1, got \(noiseDraws)") }
        let delta = delta ?? 1 / (10 * Double(datasetSize))
        let sampleRate = Double(expectedBatchSize) / Double(datasetSize)
        let sigma: Double
        switch (targetEpsilon, noiseMultiplier) {
        case let (epsilon?, nil):
            sigma = switch accountant {
            case .rdp: try RDPAccountant.noiseMultiplier(targetEpsilon: epsilon, delta: delta, sampleRate: sampleRate, steps: steps)
            case .prv: try PRVAccountant.noiseMultiplier(targetEpsilon: epsilon, delta: delta, sampleRate: sampleRate, steps: steps)
            }
        case let (nil, sigmaGiven?):
            guard sigmaGiven > 0, sigmaGiven.isFinite else {
                throw AccountingError("the noise multiplier must be positive and finite, got \(sigmaGiven)")
            }
            sigma = sigmaGiven
        default:
            throw AccountingError("give a target ε or a noise multiplier, not both")
        }
        let options = DPSGDOptions(noiseMultiplier: sigma, maxGradNorm: maxGradNorm, sampleRate: sampleRate,
                                   noiseDraws: noiseDraws, delta: delta, targetEpsilon: targetEpsilon, accountant: accountant)
        _ = try options.epsilon(afterSteps: steps)
        return options
    }

    /// ε spent after `steps` steps, by ``accountant``: 0 before the first step, +∞ with σ = 0.
    ///
    /// - Throws: ``AccountingError`` for settings outside the accountant's ranges.
    public func epsilon(afterSteps steps: Int) throws -> Double {
        guard steps > 0 else { return 0 }
        guard noiseMultiplier > 0 else { return .infinity }
        let segments = [try RDPAccountant.Segment(noiseMultiplier: noiseMultiplier, sampleRate: sampleRate, steps: steps)]
        return switch accountant {
        case .rdp: try RDPAccountant(segments: segments).epsilon(delta: delta)
        case .prv: try PRVAccountant(segments: segments).epsilon(delta: delta)
        }
    }
}
