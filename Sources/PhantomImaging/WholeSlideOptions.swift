/// How a whole-slide pathology image becomes training tiles (``WholeSlideReader``).
public struct WholeSlideOptions: Sendable, Hashable, Codable {
    /// The tile side in pixels of the chosen level.
    public var tileSize: Int
    /// The pyramid level to cut (0: full resolution); a level past the last is the last.
    public var level: Int
    /// The smallest share of a tile that must be tissue (0…1); background tiles are skipped.
    public var minTissueFraction: Double
    /// The most tiles kept per slide (nil: all), chosen at random by `seed` among the tissue
    /// tiles and given in position order.
    public var maxTilesPerSlide: Int?
    /// The seed of that choice.
    public var seed: UInt64

    /// - Parameters:
    ///   - tileSize: pixels per tile side (default 256).
    ///   - level: the pyramid level (default 0).
    ///   - minTissueFraction: default 0.5.
    ///   - maxTilesPerSlide: default 500.
    ///   - seed: default 0.
    public init(tileSize: Int = 256, level: Int = 0, minTissueFraction: Double = 0.5, maxTilesPerSlide: Int? = 500,
                seed: UInt64 = 0) {
        self.tileSize = tileSize
        self.level = level
        self.minTissueFraction = minTissueFraction
        self.maxTilesPerSlide = maxTilesPerSlide
        self.seed = seed
    }
}
