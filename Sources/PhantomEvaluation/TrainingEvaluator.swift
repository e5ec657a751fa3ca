import PhantomDiffusion
import PhantomImaging
import Foundation

/// Scores samples drawn during training (`phantom train --eval-every N`), so a run's
/// `metrics.jsonl` shows whether it is still improving: Fréchet distance beside the real
/// reference at the same n, class consistency, precision and recall against real test
/// images, all in the features of the same domain network `phantom evaluate` uses (read
/// from the cache or trained once when the run starts).
public final class TrainingEvaluator {
    public let classNames: [String]
    public let side: Int
    let network: FeatureNetwork
    let real: Embedding
    let train: LabeledImages
    let seed: UInt64
    let neighbours: Int

    /// Loads `train` and `real` at `side` and obtains the feature network.
    ///
    /// - Parameters:
    ///   - classNames: the run's classes; the folders must hold exactly these.
    ///   - reading: how DICOM, NIfTI and whole-slide files of both folders are read (the run's).
    ///   - progress: `(step, steps)` while the feature network trains.
    public init(train trainFolder: String, real realFolder: String, side: Int, classNames: [String],
                reading: ImageReadOptions = ImageReadOptions(),
                cacheDirectory: String?, seed: UInt64 = 0, neighbours: Int = 3,
                progress: (Int, Int) -> Void = { _, _ in }) throws(EvaluationError) {
        guard side % 8 == 0 else {
            throw EvaluationError(path: trainFolder, reason: "evaluation during training needs a resolution that is a multiple of 8, not \(side)")
        }
        let trainDataset = try EvaluationInputs.load(trainFolder, side: side, role: "training", reading: reading)
        guard trainDataset.classNames == classNames else {
            throw EvaluationError(path: trainFolder, reason: "classes \(trainDataset.classNames) differ from the run's \(classNames)")
        }
        let train = try EvaluationInputs.labeled(trainDataset, classNames: classNames, role: "training")
        let real = try EvaluationInputs.labeled(try EvaluationInputs.load(realFolder, side: side, role: "real", reading: reading),
                                                classNames: classNames, role: "real")
        var warnings: [String] = []
        network = try FeatureNetworkCache.obtain(train: train, classNames: classNames, recipe: ClassifierRecipe(),
                                                 networkPath: nil, cacheDirectory: cacheDirectory, warnings: &warnings,
                                                 progress: progress).network
        self.real = Embedding(network.embed(real), dimension: network.featureDimension, labels: real.labels)
        self.train = train
        self.classNames = classNames
        self.side = side
        self.seed = seed
        self.neighbours = neighbours
    }

    /// The prefix of every key ``evaluate(samples:)`` returns.
    public static let metricPrefix = "eval_"

    /// A metric's key without ``metricPrefix``, for display (`eval_frechet` → `frechet`).
    public static func displayName(ofMetric key: String) -> String {
        key.hasPrefix(metricPrefix) ? String(key.dropFirst(metricPrefix.count)) : key
    }

    /// The metrics of `samples`, keyed for `metrics.jsonl`: `eval_frechet`,
    /// `eval_frechet_reference`, `eval_class_consistency`, `eval_precision`,
    /// `eval_precision_reference`, `eval_recall`, `eval_recall_reference`, `eval_samples`.
    public func evaluate(samples: LabeledImages) -> [String: Double] {
        let embedded = Embedding(network.embed(samples), dimension: network.featureDimension, labels: samples.labels)
        let reference = train.selecting(SampleEvaluation.referenceSubset(of: train, matching: samples,
                                                                         classCount: classNames.count, seed: seed))
        let referenceEmbedding = Embedding(network.embed(reference), dimension: network.featureDimension, labels: reference.labels)
        let scores = SampleEvaluation.scores(name: "all", synthetic: embedded, reference: referenceEmbedding, real: real,
                                             classIndex: nil, k: neighbours)
        let values: [String: Double?] = [
            "samples": Double(samples.count),
            "frechet": scores.frechetDistance.synthetic, "frechet_reference": scores.frechetDistance.reference,
            "class_consistency": scores.classConsistency.synthetic,
            "precision": scores.precision.synthetic, "precision_reference": scores.precision.reference,
            "recall": scores.recall.synthetic, "recall_reference": scores.recall.reference,
        ]
        // A metric the samples cannot give (too few for a Fréchet distance) is left out.
        return Dictionary(uniqueKeysWithValues: values.compactMap { key, value in value.map { (Self.metricPrefix + key, $0) } })
    }

    /// The evaluation `phantom train --eval-every N --eval-real DIR` hands to
    /// ``TrainingJob/run(_:group:shouldStop:makeEvaluator:onEvent:)``: once the run's
    /// settings are known it loads the run's training images and `real` at the run's
    /// resolution, with the run's reading options, and obtains the feature network (from
    /// `cacheDirectory`, else trained now).
    ///
    /// - Parameters:
    ///   - real: the real test images, `DIR/<class>/…` with the run's classes.
    ///   - progress: `(step, steps)` while the feature network trains.
    /// - Returns: a factory whose evaluation scores a step's samples (``evaluate(samples:)``).
    ///   The factory throws ``EvaluationError`` for a run without at least two classes (the
    ///   feature network is a classifier) and for folders it cannot use.
    public static func factory(real: String, cacheDirectory: String? = FeatureNetworkCache.defaultDirectory,
                               progress: @escaping (Int, Int) -> Void = { _, _ in }) -> TrainingJob.EvaluatorFactory {
        return { settings in
            guard settings.classNames.count >= 2 else {
                throw EvaluationError(path: settings.data, reason: "evaluation during training needs class folders (DIR/<class>/…): the feature network is a classifier")
            }
            let evaluator = try TrainingEvaluator(train: settings.data, real: real, side: settings.resolution,
                                                  classNames: settings.classNames, reading: settings.readOptions,
                                                  cacheDirectory: cacheDirectory, progress: progress)
            return { images, labels in
                evaluator.evaluate(samples: LabeledImages(samples: images, labels: labels ?? [], bitDepth: settings.bitDepth))
            }
        }
    }
}
