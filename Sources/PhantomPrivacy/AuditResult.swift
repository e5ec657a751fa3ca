/// The outcome of ``MemorizationAudit/run(samples:training:configuration:progress:)``.
public struct AuditResult: Sendable {
    /// The parameters as asked for.
    public var configuration: AuditConfiguration
    /// The k actually used: `min(configuration.neighbourCount, training images)`.
    public var neighbourCount: Int
    /// One entry per sample, in the samples' order.
    public var samples: [SampleAudit]
    /// For each training image, the index of its nearest other training image (empty
    /// when there is only one training image).
    public var trainingNearest: [Int]
    /// For each training image, the L2 distance to its nearest other training image.
    public var trainingNearestDistances: [Float]

    /// Whether fewer training images than the requested k were available.
    public var usedAllTrainingImages: Bool { neighbourCount < configuration.neighbourCount }

    /// Indices of the flagged samples, most copy-like (lowest strongest ratio) first.
    public var flagged: [Int] {
        samples.indices.filter { samples[$0].isFlagged }.sorted {
            (samples[$0].strongest.ratio, $0) < (samples[$1].strongest.ratio, $1)
        }
    }

    /// The number of flagged samples.
    public var flaggedCount: Int { samples.reduce(0) { $0 + ($1.isFlagged ? 1 : 0) } }

    /// Distances from each sample to its nearest training image.
    public var sampleDistances: DistanceSummary? { DistanceSummary(samples.map(\.nearest.distance)) }

    /// Distances from each training image to its nearest other training image: the
    /// scale of "different images" to read sample distances against.
    public var trainingDistances: DistanceSummary? { DistanceSummary(trainingNearestDistances) }

    /// `3 of 1000 samples flagged (0.3%)`.
    public var summary: String {
        let percent = samples.isEmpty ? 0 : 100 * Double(flaggedCount) / Double(samples.count)
        return "\(flaggedCount) of \(samples.count) samples flagged (\(Self.formatPercent(percent))%)"
    }

    /// One decimal, or two significant digits below 0.1 so a rare flag does not read 0.0.
    static func formatPercent(_ percent: Double) -> String {
        if percent > 0 && percent < 0.05 {
            var digits = 2
            while percent * pow10(digits) < 10 { digits += 1 }
            return rounded(percent, digits: digits)
        }
        return rounded(percent, digits: 1)
    }

    private static func pow10(_ exponent: Int) -> Double {
        (0..<exponent).reduce(1.0) { value, _ in value * 10 }
    }

    private static func rounded(_ value: Double, digits: Int) -> String {
        let scale = pow10(digits)
        let units = Int((value * scale).rounded())
        let whole = units / Int(scale), fraction = units % Int(scale)
        let fractionText = String(fraction)
        return "\(whole)." + String(repeating: "0", count: digits - fractionText.count) + fractionText
    }
}
