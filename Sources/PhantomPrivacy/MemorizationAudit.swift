/// The memorization audit: does a set of generated samples contain copies of training
/// images? (Carlini et al. 2023, "Extracting Training Data from Diffusion Models".)
///
/// For every sample it finds the k nearest training images by L2 distance and by half
/// distance, measures the former again allowing small shifts (see ``SampleAudit``), and
/// flags the sample when any of the three memorization ratios is below
/// ``AuditConfiguration/threshold``. It also measures, for every training
/// image, the distance to its nearest other training image, the scale of distances
/// between distinct images.
///
/// Cost: about `2 × pixels × (samples × training + training² / 2)` flops in
/// single-threaded GEMMs spread over ``PhantomTensor/Parallel``'s workers (10 000
/// samples against 10 000 training images at 64×64: 1.2 TFLOP), plus about
/// `50 × samples × k × pixels` flops to measure the kept neighbours again and shifted.
/// Memory: both image sets as Float32, twice. Results are identical for any worker
/// count.
public enum MemorizationAudit {
    /// The smallest image side the audit accepts.
    public static let minimumSide = ShiftedDistance.minimumSide

    /// Runs the audit.
    ///
    /// - Parameters:
    ///   - samples: the generated images.
    ///   - training: the training images, at the same side as `samples`.
    ///   - progress: called after each block of pairs, one call at a time (from worker
    ///     threads), with the pairs compared so far.
    /// - Throws: ``AuditError`` when a set is empty, the sides differ, images are
    ///   smaller than ``minimumSide``, `neighbourCount < 1` or the threshold is not positive.
    public static func run(
        samples: AuditImages, training: AuditImages,
        configuration: AuditConfiguration = AuditConfiguration(),
        progress: (@Sendable (AuditProgress) -> Void)? = nil
    ) throws(AuditError) -> AuditResult {
        try validate(samples: samples, training: training, configuration: configuration)
        let neighbourCount = min(configuration.neighbourCount, training.count)
        let totalPairs = samples.count * training.count + training.count * (training.count - 1) / 2
        let counter = ProgressCounter(totalPairs: totalPairs, report: progress)

        let packedTraining = PackedImages(training)
        counter.begin(.samples)
        let neighbours = SampleNeighbourSearch.run(
            samples: PackedImages(samples), training: packedTraining,
            neighbourCount: neighbourCount, progress: counter)
        counter.begin(.training)
        let trainingNearest = TrainingNeighbourSearch.run(packedTraining, progress: counter)

        return AuditResult(
            configuration: configuration, neighbourCount: neighbourCount,
            samples: neighbours.map { audit($0, threshold: configuration.threshold) },
            trainingNearest: trainingNearest.map(\.index),
            trainingNearestDistances: trainingNearest.map(\.distance))
    }

    private static func validate(
        samples: AuditImages, training: AuditImages, configuration: AuditConfiguration
    ) throws(AuditError) {
        guard samples.count > 0 else { throw AuditError("there are no samples to audit") }
        guard training.count > 0 else { throw AuditError("there are no training images to compare with") }
        guard samples.side == training.side else {
            throw AuditError(
                "samples are \(samples.side)x\(samples.side) but training images \(training.side)x\(training.side)")
        }
        guard samples.side >= minimumSide else {
            throw AuditError("images must be at least \(minimumSide)x\(minimumSide), got \(samples.side)x\(samples.side)")
        }
        guard configuration.neighbourCount >= 1 else {
            throw AuditError("the number of neighbours must be at least 1, got \(configuration.neighbourCount)")
        }
        guard configuration.threshold > 0, configuration.threshold.isFinite else {
            throw AuditError("the threshold must be a positive number, got \(configuration.threshold)")
        }
    }

    /// Ratios and flag of one sample from its neighbours.
    private static func audit(_ neighbours: SampleNeighbours, threshold: Float) -> SampleAudit {
        let nearest = match(neighbours.nearest, whenAllZero: 0)
        let shifted = match(neighbours.shifted, whenAllZero: 0)
        let half = match(neighbours.half, whenAllZero: 1)
        return SampleAudit(
            nearest: nearest, shifted: shifted, half: half,
            isFlagged: min(nearest.ratio, shifted.ratio, half.ratio) < threshold)
    }

    /// The closest of `neighbours` (nearest first) with its distance over the mean of
    /// all, or `whenAllZero` when they are all at distance 0.
    private static func match(_ neighbours: [Neighbour], whenAllZero: Float) -> SampleAudit.Match {
        let mean = neighbours.reduce(0.0) { $0 + Double($1.distance) } / Double(neighbours.count)
        let closest = neighbours[0]
        return SampleAudit.Match(
            training: closest.index, distance: closest.distance,
            ratio: mean > 0 ? Float(Double(closest.distance) / mean) : whenAllZero)
    }
}
