import PhantomTensor

/// Multi-scale structural similarity (Wang, Simoncelli & Bovik 2003, "Multiscale Structural
/// Similarity for Image Quality Assessment"), the diversity measure of `phantom evaluate`:
/// the mean MS-SSIM between pairs of generated images is high when the model repeats itself
/// (mode collapse) and comparable to the real set's value when it does not.
///
/// At scale j = 1…L, with μ, σ², σ_xy local statistics under a normalised Gaussian window
/// (7 px, σ = 1.5, valid positions only: no padding), C₁ = (0.01)², C₂ = (0.03)² (data range 1):
///
///     cs_j   = mean over positions of (2σ_xy + C₂) / (σ_x² + σ_y² + C₂)
///     l·cs_L = mean over positions of (2μ_xμ_y + C₁) / (μ_x² + μ_y² + C₁) · (2σ_xy + C₂) / (σ_x² + σ_y² + C₂)
///     MS-SSIM = Π_{j<L} max(cs_j, 0)^{w_j} · max(l·cs_L, 0)^{w_L}
///
/// with σ_x² = G∗x² − μ_x² and σ_xy = G∗(xy) − μ_xμ_y. Between scales both images are 2×2
/// average-pooled (an odd side drops its last row and column). The weights are the paper's
/// five, 0.0448, 0.2856, 0.3001, 0.2363, 0.1333, truncated to the L scales that fit
/// (a scale is used while its side is ≥ 7: 4 scales for 64 px, 3 for 32 px, 1 for 7 px) and
/// renormalised to sum to 1.
///
/// Negative terms clamp to 0 by `max(·, 0)`: this is `pytorch_msssim.ms_ssim` (which applies
/// `relu` to every cs_j and to the last scale's SSIM; it has no `normalize` option) and
/// torchmetrics' default `normalize="relu"`, not the (x + 1)/2 mapping of torchmetrics'
/// `normalize="simple"` or jorge-pessoa's `pytorch-msssim` `normalize=True`.
///
/// When no pooled side is odd (powers of two, or a single scale) the result equals
/// `pytorch_msssim.ms_ssim(x, y, data_range=1, win_size=7, weights=<renormalised>)` in
/// float64 to ~1e-15 (that function asserts a side > 96 for a 7-px window, which only its five
/// default scales need); pytorch_msssim zero-pads odd sides before pooling instead. Computed
/// in Float64.
public enum MSSSIM {
    /// The per-scale weights of Wang et al. (finest scale first).
    public static let scaleWeights: [Double] = [0.0448, 0.2856, 0.3001, 0.2363, 0.1333]
    /// The Gaussian window's size in pixels and its standard deviation.
    public static let windowSize = 7, windowSigma = 1.5
    /// The stabilising constants K₁, K₂ (C = (K · data range)², data range 1).
    public static let k1 = 0.01, k2 = 0.03

    /// How many scales an image of side `side` has: the number of sides side, ⌊side/2⌋, …
    /// that are ≥ 7, at most 5 (0 below 7).
    public static func scaleCount(side: Int) -> Int {
        var count = 0, current = side
        while count < scaleWeights.count && current >= windowSize {
            count += 1
            current /= 2
        }
        return count
    }

    /// The weights of ``scaleCount(side:)`` scales, renormalised to sum to 1.
    public static func weights(side: Int) -> [Double] {
        let used = Array(scaleWeights.prefix(scaleCount(side: side)))
        let total = used.reduce(0, +)
        return used.map { $0 / total }
    }

    /// MS-SSIM of two side×side images (row-major, values in [0, 1]; values outside are not
    /// clipped). 1 for identical images (exactly), towards 0 for unrelated ones.
    ///
    /// - Precondition: `side >= 7` and both images have `side * side` values.
    public static func index(_ a: [Float], _ b: [Float], side: Int) -> Double {
        precondition(side >= windowSize, "MS-SSIM needs images of side >= \(windowSize), got \(side)")
        precondition(a.count == side * side && b.count == side * side,
                     "MS-SSIM of \(a.count) and \(b.count) values for side \(side)")
        let workspace = MSSSIMWorkspace(side: side)
        return a.withUnsafeBufferPointer { a in
            b.withUnsafeBufferPointer { b in workspace.index(a, b) }
        }
    }

    /// Mean MS-SSIM over pairs of distinct images of one set: every pair when there are at
    /// most `maxPairs`, otherwise the `maxPairs` pairs of ``pairs(imageCount:maxPairs:seed:)``
    /// (uniform without replacement, determined by `seed`). Pairs are shared over the
    /// ``Parallel`` workers and their values summed in pair order, so the result does not
    /// depend on the worker count. A pair of 64×64 images costs ~0.35 M multiply-adds (five
    /// separable filterings at four scales), so 2000 pairs ~0.7 G.
    ///
    /// - Returns: nil for fewer than 2 images, or images smaller than the 7-px window.
    /// - Precondition: every image has `side * side` values, `maxPairs >= 1`.
    public static func meanPairwise(_ images: [[Float]], side: Int, maxPairs: Int = 2000, seed: UInt64 = 0) -> Double? {
        precondition(maxPairs >= 1, "MS-SSIM maxPairs = \(maxPairs)")
        precondition(images.allSatisfy { $0.count == side * side }, "MS-SSIM images must have side × side values")
        guard images.count >= 2, side >= windowSize else { return nil }
        let pairs = pairs(imageCount: images.count, maxPairs: maxPairs, seed: seed)
        let workers = max(1, min(Parallel.workerCount, pairs.count))
        let workspaces = (0..<workers).map { _ in MSSSIMWorkspace(side: side) }
        var values = [Double](repeating: 0, count: pairs.count)
        values.withUnsafeMutableBufferPointer { valueBuffer in
            let output = valueBuffer.baseAddress!
            Parallel.withWorkers(workers) {
                Parallel.forEach(pairs.count) { item, worker in
                    let (first, second) = pairs[item]
                    output[item] = images[first].withUnsafeBufferPointer { a in
                        images[second].withUnsafeBufferPointer { b in workspaces[worker].index(a, b) }
                    }
                }
            }
        }
        var sum = 0.0
        for value in values { sum += value }
        return sum / Double(values.count)
    }
}
