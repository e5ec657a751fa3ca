import Foundation
import PhantomPrivacy

/// The hyper-parameters of a training run. Defaults follow diffusers'
/// `train_unconditional.py` where it has one.
public struct TrainingOptions: Equatable, Sendable, Codable {
    /// The steps that show each of `imageCount` images `epochs` times on average in
    /// batches of `batchSize`: `⌈epochs · imageCount / batchSize⌉`, at least 1 (how
    /// `--epochs` becomes a step count; a run then counts steps, so resuming with another
    /// dataset size does not change its length).
    public static func steps(epochs: Double, imageCount: Int, batchSize: Int) -> Int {
        max(1, Int((epochs * Double(imageCount) / Double(batchSize)).rounded(.up)))
    }

    /// How the learning rate moves after warm-up.
    public enum Schedule: String, Sendable, CaseIterable, Codable {
        /// Half a cosine from the base rate down to 0 at the last step.
        case cosine
        /// The base rate throughout.
        case constant
    }

    public var batchSize = 16
    /// The number of optimizer steps of the whole run (the LR schedule depends only on this).
    public var steps = 10_000
    public var learningRate = 1e-4
    public var warmupSteps = 500
    public var schedule: Schedule = .cosine
    public var adamBeta1 = 0.95
    public var adamBeta2 = 0.999
    public var adamEpsilon = 1e-8
    public var weightDecay = 1e-6
    /// Largest global gradient norm; nil disables clipping.
    public var gradientClip: Double? = 1.0
    /// The EMA's maximum decay (diffusers' `ema_max_decay`).
    public var emaMaxDecay = 0.9999
    public var emaInverseGamma = 1.0
    public var emaPower = 0.75
    public var seed: UInt64 = 0
    /// Mirror images left–right at random. Off by default: anatomy has a side.
    public var horizontalFlip = false
    /// Probability of replacing a class label by the null class (for classifier-free guidance).
    public var labelDropout = 0.1
    /// γ of min-SNR-γ loss weighting (``NoiseSchedule/minSNRWeight(at:gamma:)``); nil or 0
    /// weights every timestep equally.
    public var snrGamma: Double? = nil
    /// Class balance α of the data order (``DataOrder/init(labels:balance:seed:)``): each
    /// epoch gives class `c` slots in proportion to `n_c^(1−α)` for its `n_c` images, so
    /// 1 visits every class equally often; nil or 0 keeps the natural order.
    public var classBalance: Double? = nil
    /// How many steps with a non-finite loss or gradient may be skipped before the run stops.
    public var skipNonFinite = 0
    /// Train with DP-SGD (Poisson batches of expected size q·N, per-image clipping, Gaussian
    /// noise); nil trains normally. ``batchSize`` is then unused.
    public var privacy: DPSGDOptions? = nil

    public init() {}

    /// The learning rate for the update that follows `completedSteps` updates
    /// (diffusers' `get_scheduler` with warm-up: linear from 0, then the schedule).
    public func learningRate(afterSteps completedSteps: Int) -> Double {
        if completedSteps < warmupSteps {
            return learningRate * Double(completedSteps) / Double(max(1, warmupSteps))
        }
        switch schedule {
        case .constant:
            return learningRate
        case .cosine:
            let progress = Double(completedSteps - warmupSteps) / Double(max(1, steps - warmupSteps))
            return learningRate * max(0, 0.5 * (1 + cos(Double.pi * progress)))
        }
    }
}
