/// The spread of a set of distances: extremes, mean and percentiles.
///
/// Percentiles interpolate linearly between order statistics: the `p`-th percentile of
/// `n` sorted values is at position `p / 100 × (n − 1)` (NumPy's default).
public struct DistanceSummary: Sendable, Hashable, Codable {
    /// The number of distances.
    public var count: Int
    /// The smallest distance.
    public var minimum: Float
    /// The 5th percentile.
    public var percentile5: Float
    /// The 50th percentile.
    public var median: Float
    /// The 95th percentile.
    public var percentile95: Float
    /// The largest distance.
    public var maximum: Float
    /// The arithmetic mean.
    public var mean: Float

    /// The summary of `distances`, or nil when there are none.
    public init?(_ distances: [Float]) {
        guard !distances.isEmpty else { return nil }
        let sorted = distances.sorted()
        count = sorted.count
        minimum = sorted[0]
        maximum = sorted[sorted.count - 1]
        mean = Float(sorted.reduce(0.0) { $0 + Double($1) } / Double(sorted.count))
        percentile5 = Self.percentile(5, of: sorted)
        median = Self.percentile(50, of: sorted)
        percentile95 = Self.percentile(95, of: sorted)
    }

    /// The `percent`-th percentile of non-empty ascending `sorted`.
    static func percentile(_ percent: Double, of sorted: [Float]) -> Float {
        let position = percent / 100 * Double(sorted.count - 1)
        let below = Int(position.rounded(.down))
        let above = min(below + 1, sorted.count - 1)
        let weight = Float(position - Double(below))
        return sorted[below] + (sorted[above] - sorted[below]) * weight
    }
}
