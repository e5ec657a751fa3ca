import PhantomImaging
import Foundation

/// A metric of the synthetic images beside the same metric of the real reference: a
/// random subset of the real training images of the same size and class mix, scored
/// against the real test images the same way. A synthetic set is judged by how close it
/// comes to its reference, not by the raw number.
public struct MetricPair: Codable, Hashable, Sendable {
    public var synthetic: Double?
    public var reference: Double?

    public init(synthetic: Double?, reference: Double?) {
        self.synthetic = synthetic
        self.reference = reference
    }
}

/// Everything `phantom evaluate` measured, with the settings that produced it.
public struct EvaluationReport: Codable, Sendable {
    public struct Settings: Codable, Sendable {
        public var real: String
        public var samples: String
        public var train: String?
        public var network: String?
        public var side: Int
        public var seed: UInt64
        /// k of the k-nearest-neighbour balls of precision, recall, density and coverage.
        public var neighbours: Int
        public var recipe: ClassifierRecipe
        /// The samples folder's `manifest.json` fields that identify the model and sampler.
        public var samplesManifest: [String: String]
        /// How DICOM and NIfTI files of the folders were read (nil in reports made before it existed).
        public var reading: ImageReadOptions? = nil
        /// ``reading``, or the defaults those earlier reports used.
        public var readOptions: ImageReadOptions { reading ?? ImageReadOptions() }
    }

    public struct NetworkSummary: Codable, Sendable {
        /// "trained", "cached" or "loaded".
        public var source: String
        public var path: String?
        public var trainingImages: Int?
        public var seconds: Double
        /// Accuracy on the real test images: the ceiling for class consistency.
        public var accuracyOnReal: Double
    }

    public struct Counts: Codable, Sendable {
        public var samples: Int
        public var real: Int
        public var reference: Int?
    }

    /// The metrics of one class, or of all classes together.
    public struct Scores: Codable, Sendable {
        public var name: String
        public var counts: Counts
        public var frechetDistance: MetricPair
        public var precision: MetricPair
        public var recall: MetricPair
        public var density: MetricPair
        public var coverage: MetricPair
        /// The share of images of the class that the feature network assigns to it.
        public var classConsistency: MetricPair
        /// The network's accuracy on the real test images of the class.
        public var realAccuracy: Double?
        /// Mean pairwise MS-SSIM within the class (lower: more diverse); the real test
        /// images' value is `realDiversity`.
        public var diversity: MetricPair
        public var realDiversity: Double?
    }

    public struct Memorization: Codable, Sendable {
        public var audited: Int
        public var flagged: Int
        public var threshold: Double
        /// Median over samples of the smallest memorization ratio (nearest / k-th nearest).
        public var medianRatio: Double
        public var medianNearestDistance: Double
        public var medianTrainingNearestDistance: Double?
        /// Up to 8 (sample, training) pairs with the smallest ratios, as relative paths.
        public var closestPairs: [ClosestPair]
    }

    public struct ClosestPair: Codable, Sendable {
        public var sample: String
        public var training: String
        public var ratio: Double
        public var distance: Double
    }

    public var settings: Settings
    public var network: NetworkSummary
    public var overall: Scores
    public var classes: [Scores]
    public var memorization: Memorization?
    public var utility: UtilityReport?
    public var warnings: [String]
    public var seconds: Double
}
