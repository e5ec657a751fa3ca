import Foundation

/// The fixed recipe that trains a ``FeatureNetwork``: AdamW with linear warm-up over the
/// first 5% of steps and a cosine decay to 0, global gradient-norm clipping at 1, batches
/// in a seeded order that reshuffles every epoch, each image shifted by a random whole
/// number of pixels in `−maxShift…maxShift` along each axis (edges repeated), so that the
/// features do not hinge on exact registration.
///
/// The same recipe trains the feature network (on the real training set) and every arm
/// of the train-on-synthetic utility test, so those arms differ only in their data.
public struct ClassifierRecipe: Codable, Hashable, Sendable {
    public var epochs: Double = 20
    public var batchSize = 32
    public var learningRate = 2e-3
    public var weightDecay = 1e-4
    public var seed: UInt64 = 0
    /// The largest random shift, in pixels, of a training image.
    public var maxShift = 4

    public init() {}

    /// The number of optimizer steps for `images` training images.
    public func steps(forImages images: Int) -> Int {
        max(1, Int((epochs * Double(images) / Double(batchSize)).rounded(.up)))
    }

    /// The learning rate of step `step` (0-based) of `total`.
    public func learningRate(step: Int, of total: Int) -> Double {
        let warmup = max(1, total / 20)
        if step < warmup { return learningRate * Double(step + 1) / Double(warmup) }
        let progress = Double(step - warmup) / Double(max(1, total - warmup))
        return learningRate * 0.5 * (1 + cos(Double.pi * progress))
    }
}
