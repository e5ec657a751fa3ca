import Foundation
import PhantomPrivacy

/// The memorization audit (``PhantomPrivacy/MemorizationAudit``) of the evaluated samples
/// against the training images, reduced to what the evaluation report shows.
enum MemorizationSummary {
    static func measure(samples: LabeledImages, samplePaths: [String], train: LabeledImages, trainPaths: [String],
                        progress: @escaping @Sendable (Int, Int) -> Void) throws(EvaluationError) -> EvaluationReport.Memorization {
        let result: AuditResult
        do {
            result = try MemorizationAudit.run(
                samples: AuditImages(side: samples.side, pixels: samples.pixels),
                training: AuditImages(side: train.side, pixels: train.pixels),
                progress: { update in progress(update.completedPairs, update.totalPairs) })
        } catch {
            throw EvaluationError(path: "memorization audit", reason: error.reason)
        }
        let ratios = result.samples.map { Double($0.strongest.ratio) }
        let closest = result.samples.indices.sorted { ratios[$0] < ratios[$1] }.prefix(8).map { index in
            let match = result.samples[index].strongest
            return EvaluationReport.ClosestPair(sample: samplePaths[index], training: trainPaths[match.training],
                                                ratio: Double(match.ratio), distance: Double(match.distance))
        }
        return EvaluationReport.Memorization(
            audited: result.samples.count, flagged: result.flaggedCount,
            threshold: Double(result.configuration.threshold),
            medianRatio: median(ratios),
            medianNearestDistance: median(result.samples.map { Double($0.nearest.distance) }),
            medianTrainingNearestDistance: result.trainingDistances.map { Double($0.median) },
            closestPairs: closest)
    }

    static func median(_ values: [Double]) -> Double {
        guard !values.isEmpty else { return .nan }
        let sorted = values.sorted(), middle = sorted.count / 2
        return sorted.count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
    }
}
