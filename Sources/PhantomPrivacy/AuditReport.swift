import Foundation
import PhantomImaging

/// The audit's findings as a JSON document: parameters, counts, distance scales and
/// one entry per sample, with images named by their paths below their folders.
public struct AuditReport: Codable, Sendable {
    /// One sample's findings (see ``SampleAudit`` for the definitions).
    public struct Sample: Codable, Sendable, Hashable {
        public var file: String
        public var flagged: Bool
        public var nearest: Match
        public var shifted: Match
        public var half: Match
    }

    /// The closest training image under one distance.
    public struct Match: Codable, Sendable, Hashable {
        /// The training image's path below its folder.
        public var file: String
        public var distance: Float
        public var ratio: Float
    }

    /// The one-line summary, e.g. `3 of 1000 samples flagged (0.3%)`.
    public var summary: String
    public var samplesFolder: String
    public var trainingFolder: String
    public var sampleCount: Int
    public var trainingCount: Int
    public var flaggedCount: Int
    /// The side images were compared at.
    public var resolution: Int
    /// k as asked for.
    public var neighbourCount: Int
    /// k as used: capped at the number of training images.
    public var neighbourCountUsed: Int
    public var threshold: Float
    /// How the numbers below are defined.
    public var definitions: [String: String]
    /// Anything the reader should know (resizing, a small training set…).
    public var notes: [String]
    /// Each sample's distance to its nearest training image.
    public var sampleNearestDistances: DistanceSummary?
    /// Each training image's distance to its nearest other training image.
    public var trainingNearestDistances: DistanceSummary?
    /// Samples in their folder's order.
    public var samples: [Sample]

    /// The report of `result`, naming images by `sampleFiles[i]` / `trainingFiles[j]`.
    ///
    /// - Precondition: the name lists match the result's sample and training counts.
    public init(
        result: AuditResult, resolution: Int,
        samplesFolder: String, sampleFiles: [String],
        trainingFolder: String, trainingFiles: [String],
        notes: [String] = []
    ) {
        precondition(sampleFiles.count == result.samples.count, "one name per sample")
        summary = result.summary
        self.samplesFolder = samplesFolder
        self.trainingFolder = trainingFolder
        sampleCount = result.samples.count
        trainingCount = trainingFiles.count
        flaggedCount = result.flaggedCount
        self.resolution = resolution
        neighbourCount = result.configuration.neighbourCount
        neighbourCountUsed = result.neighbourCount
        threshold = result.configuration.threshold
        definitions = Self.definitions
        self.notes = notes
        sampleNearestDistances = result.sampleDistances
        trainingNearestDistances = result.trainingDistances
        func named(_ match: SampleAudit.Match) -> Match {
            Match(file: trainingFiles[match.training], distance: match.distance, ratio: match.ratio)
        }
        samples = zip(sampleFiles, result.samples).map { file, audit in
            Sample(
                file: file, flagged: audit.isFlagged,
                nearest: named(audit.nearest), shifted: named(audit.shifted), half: named(audit.half))
        }
    }

    /// Pretty-printed JSON with sorted keys.
    public func json() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return try encoder.encode(self)
    }

    static let definitions = [
        "distance": "L2 norm of the pixel difference, pixels in [-1, 1] at the audit resolution",
        "ratio": "distance to the closest training image / mean distance to the k closest (closest included)",
        "nearest": "closest training image by L2 over the whole image",
        "shifted": "closest of the k nearest when shifts of up to 2 pixels are allowed "
            + "(best L2 over the central window, margin 2)",
        "half": "closest training image by L2 over the best-matching half (left, right, top or bottom)",
        "flagged": "any of the three ratios < threshold",
        "trainingNearestDistances": "L2 distance from each training image to its nearest other training image",
    ]
}
