/// The parameters of a memorization audit.
public struct AuditConfiguration: Sendable, Hashable, Codable {
    /// The default `k`: 50 neighbours, as Carlini et al. (2023) use on CIFAR-10.
    public static let defaultNeighbourCount = 50

    /// The default flagging threshold on the memorization ratios: 1/3.
    ///
    /// A sample is flagged when some training image is more than three times closer to
    /// it than its k nearest are on average. Carlini et al. (2023, §5) score a sample by
    /// `ℓ = d₁ / (α · mean of the 50 nearest)` with `α = 0.5`; our ratio is `α · ℓ`, so
    /// 1/3 here is `ℓ < 2/3` in their units. 1/3 is also the usual cut of the
    /// nearest-to-second-nearest test for copies (Yoon et al. 2023; Gu et al. 2023),
    /// which we do not use because training sets of scans hold near-duplicates (adjacent
    /// slices), making a copy's second-nearest as close as its nearest.
    ///
    /// Why 1/3: distances between distinct images concentrate, so a new image is about
    /// as far from its nearest training image as from its 50th (ratio near 1), while a
    /// copy under per-pixel noise σ has a ratio of about `σ√pixels / mean distance`.
    /// Measured on 64×64 head scans (1657 training slices; 445 held-out slices of the
    /// same five heads, each at least 2 mm from any training slice): held-out plain
    /// ratios have median 0.68 and minimum 0.30 (0.7% below 1/3), half ratios median
    /// 0.66 (3.4% below, halves of slices 3 mm from a training slice); planted copies —
    /// exact, noisy (σ = 0.05), shifted by 1–2 pixels, half — score 0 to 0.2 on the
    /// ratio meant for them.
    public static let defaultThreshold: Float = 1.0 / 3.0

    /// `k`: how many nearest training images set the scale a sample's nearest
    /// distance is compared with. Capped at the training set's size.
    public var neighbourCount: Int
    /// Samples with a memorization ratio (plain, shifted or half) below this are flagged.
    public var threshold: Float

    public init(
        neighbourCount: Int = AuditConfiguration.defaultNeighbourCount,
        threshold: Float = AuditConfiguration.defaultThreshold
    ) {
        self.neighbourCount = neighbourCount
        self.threshold = threshold
    }
}
