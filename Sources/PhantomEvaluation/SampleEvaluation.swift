import Foundation
import PhantomDiffusion
import PhantomImaging

/// `phantom evaluate`'s one entry point: how close a folder of synthetic images comes to
/// real ones, in the features of a network trained on the user's own scans.
///
/// Stages:
/// 1. Load the folders at one image side (the network's, else the samples' own).
/// 2. Obtain the feature network: read `network`, take it from the cache, or train it on
///    `train` with the fixed ``ClassifierRecipe``; measure its accuracy on `real`.
/// 3. Embed the real, synthetic and reference images (the reference: a seeded subset of
///    `train` with the samples' class mix).
/// 4. Score synthetic and reference against real: Fréchet distance, precision, recall,
///    density, coverage, class consistency and diversity, overall and per class.
/// 5. Audit the samples for copies of `train`; run the utility experiment if asked.
public enum SampleEvaluation {
    /// Runs the evaluation. `progress(stage, done, total)` reports long work.
    public static func run(_ request: EvaluationRequest,
                           progress: @escaping @Sendable (String, Int, Int) -> Void = { _, _, _ in }) throws(EvaluationError) -> EvaluationReport {
        let started = Date()
        var warnings: [String] = []

        // 1. Folders and the image side.
        var loadedNetwork: (FeatureNetwork, FeatureNetworkFile.Description)?
        if let path = request.network, FileManager.default.fileExists(atPath: path) {
            loadedNetwork = try FeatureNetworkFile.read(URL(fileURLWithPath: path))
        }
        let side: Int
        if let given = request.side ?? loadedNetwork?.0.side { side = given } else {
            side = try EvaluationInputs.dominantSide(of: request.samples)
        }
        guard side >= 8, side % 8 == 0 else {
            throw EvaluationError(path: request.samples, reason: "images of side \(side): the feature network needs a multiple of 8 (give --resolution)")
        }
        if let (network, _) = loadedNetwork, network.side != side {
            throw EvaluationError(path: request.network!, reason: "the network was trained on \(network.side)x\(network.side) images; this evaluation is at \(side)x\(side)")
        }
        progress("loading images", 0, 3)
        let samplesDataset = try EvaluationInputs.load(request.samples, side: side, role: "samples", reading: request.reading)
        let realDataset = try EvaluationInputs.load(request.real, side: side, role: "real", reading: request.reading)
        let trainDataset = try request.train.map { (path) throws(EvaluationError) in
            try EvaluationInputs.load(path, side: side, role: "training", reading: request.reading)
        }
        guard loadedNetwork != nil || trainDataset != nil else {
            throw EvaluationError(path: request.network ?? request.samples,
                                  reason: "no feature network: give --train DATA/train to train one, or --net FILE of a trained one")
        }
        let classNames = loadedNetwork?.1.classNames ?? trainDataset!.classNames
        guard classNames.count >= 2 else {
            throw EvaluationError(path: request.train ?? request.real, reason: "the feature network needs at least two classes")
        }
        let real = try EvaluationInputs.labeled(realDataset, classNames: classNames, role: "real")
        let samples = try EvaluationInputs.labeled(samplesDataset, classNames: classNames, role: "samples")
        let train = try trainDataset.map { (dataset) throws(EvaluationError) in
            try EvaluationInputs.labeled(dataset, classNames: classNames, role: "training")
        }

        // 2. The feature network.
        let networkStarted = Date()
        let network: FeatureNetwork
        var summary: EvaluationReport.NetworkSummary
        if let (loaded, _) = loadedNetwork {
            network = loaded
            summary = .init(source: "loaded", path: request.network, trainingImages: nil, seconds: 0, accuracyOnReal: 0)
        } else {
            let obtained = try FeatureNetworkCache.obtain(
                train: train!, classNames: classNames, recipe: request.recipe, networkPath: request.network,
                cacheDirectory: request.cacheDirectory, warnings: &warnings) { step, total in
                progress("training the feature network", step, total)
            }
            network = obtained.network
            summary = .init(source: obtained.source, path: obtained.path, trainingImages: train!.count,
                            seconds: Date().timeIntervalSince(networkStarted), accuracyOnReal: 0)
        }

        // 3. Embeddings.
        progress("embedding images", 1, 3)
        let realEmbedding = Embedding(network.embed(real), dimension: network.featureDimension, labels: real.labels)
        summary.accuracyOnReal = accuracy(realEmbedding.predictions, real.labels)
        let sampleEmbedding = Embedding(network.embed(samples), dimension: network.featureDimension, labels: samples.labels)
        let referenceIndices = train.map { referenceSubset(of: $0, matching: samples, classCount: classNames.count, seed: request.seed) }
        let reference = referenceIndices.map { train!.selecting($0) }
        let referenceEmbedding = reference.map { Embedding(network.embed($0), dimension: network.featureDimension, labels: $0.labels) }

        // 4. Scores, overall and per class.
        progress("scoring", 2, 3)
        let dimension = network.featureDimension
        if samples.count < 2 * dimension {
            warnings.append("\(samples.count) samples is few for a stable Fréchet distance in \(dimension) dimensions: compare it with the real reference at the same n, not with other sample counts")
        }
        if train == nil { warnings.append("no --train: no real reference at the same n and no memorization audit") }
        let overall = scores(name: "all", synthetic: sampleEmbedding, reference: referenceEmbedding, real: realEmbedding,
                             classIndex: nil, k: request.neighbours)
        var classes: [EvaluationReport.Scores] = []
        let sampleGroups = samples.indicesByClass(classCount: classNames.count)
        let realGroups = real.indicesByClass(classCount: classNames.count)
        let referenceGroups = reference?.indicesByClass(classCount: classNames.count)
        for (label, name) in classNames.enumerated() where !sampleGroups[label].isEmpty || !realGroups[label].isEmpty {
            var row = scores(name: name, synthetic: sampleEmbedding, reference: referenceEmbedding, real: realEmbedding,
                             classIndex: label, k: request.neighbours)
            row.diversity = MetricPair(
                synthetic: diversity(samples, sampleGroups[label], request),
                reference: reference.flatMap { diversity($0, referenceGroups![label], request) })
            row.realDiversity = diversity(real, realGroups[label], request)
            if let referenceGroups, referenceGroups[label].count < sampleGroups[label].count {
                warnings.append("class \(name): only \(referenceGroups[label].count) training images for a reference of \(sampleGroups[label].count)")
            }
            if sampleGroups[label].isEmpty { warnings.append("class \(name): no samples") }
            classes.append(row)
        }

        // 5. Memorization and utility.
        var memorization: EvaluationReport.Memorization?
        if request.memorization, let train {
            memorization = try MemorizationSummary.measure(samples: samples, samplePaths: EvaluationInputs.paths(samplesDataset),
                                                           train: train, trainPaths: EvaluationInputs.paths(trainDataset!)) { done, total in
                progress("memorization audit", done, total)
            }
        }
        var utility: UtilityReport?
        if let utilityRequest = request.utility {
            guard let train else {
                throw EvaluationError(path: request.samples, reason: "the utility test needs --train")
            }
            utility = UtilityExperiment.run(utilityRequest, real: train, synthetic: samples, test: real,
                                            classNames: classNames, recipe: request.recipe) { done, total in
                progress("utility: training classifiers", done, total)
            }
        }

        let settings = EvaluationReport.Settings(
            real: request.real, samples: request.samples, train: request.train, network: summary.path, side: side,
            seed: request.seed, neighbours: request.neighbours, recipe: request.recipe,
            samplesManifest: SamplesManifest.read(folder: request.samples), reading: request.reading)
        return EvaluationReport(settings: settings, network: summary, overall: overall, classes: classes,
                                memorization: memorization, utility: utility, warnings: warnings,
                                seconds: Date().timeIntervalSince(started))
    }

    /// A seeded subset of `train` with, per class, as many images as `samples` has (or all
    /// the class has).
    static func referenceSubset(of train: LabeledImages, matching samples: LabeledImages, classCount: Int, seed: UInt64) -> [Int] {
        let trainGroups = train.indicesByClass(classCount: classCount)
        let sampleGroups = samples.indicesByClass(classCount: classCount)
        return (0..<classCount).flatMap { label in
            SeededShuffle.subset(trainGroups[label], size: sampleGroups[label].count, seed: seed,
                                 purpose: referencePurpose, round: UInt32(label))
        }
    }

    /// The stream word of reference subsets ("REFS").
    static let referencePurpose: UInt32 = 0x5245_4653

    static func accuracy(_ predictions: [Int], _ labels: [Int]) -> Double {
        guard !labels.isEmpty else { return 0 }
        return Double(zip(predictions, labels).filter { $0 == $1 }.count) / Double(labels.count)
    }

    /// Every fidelity score of one class (or all, `classIndex` nil) for synthetic and reference.
    static func scores(name: String, synthetic: Embedding, reference: Embedding?, real: Embedding,
                       classIndex: Int?, k: Int) -> EvaluationReport.Scores {
        let syntheticPart = synthetic.restricted(to: classIndex)
        let referencePart = reference?.restricted(to: classIndex)
        let realPart = real.restricted(to: classIndex)
        func frechet(_ part: Embedding?) -> Double? {
            guard let part, part.count >= 2, realPart.count >= 2 else { return nil }
            return FrechetDistance.distance(part.features, realPart.features)
        }
        func manifold(_ part: Embedding?) -> ManifoldMetrics? {
            guard let part, part.count > k, realPart.count > k else { return nil }
            return ManifoldMetrics(real: realPart.features, synthetic: part.features, k: k)
        }
        let syntheticManifold = manifold(syntheticPart), referenceManifold = manifold(referencePart)
        return EvaluationReport.Scores(
            name: name,
            counts: .init(samples: syntheticPart.count, real: realPart.count, reference: referencePart?.count),
            frechetDistance: MetricPair(synthetic: frechet(syntheticPart), reference: frechet(referencePart)),
            precision: MetricPair(synthetic: syntheticManifold?.precision, reference: referenceManifold?.precision),
            recall: MetricPair(synthetic: syntheticManifold?.recall, reference: referenceManifold?.recall),
            density: MetricPair(synthetic: syntheticManifold?.density, reference: referenceManifold?.density),
            coverage: MetricPair(synthetic: syntheticManifold?.coverage, reference: referenceManifold?.coverage),
            classConsistency: MetricPair(synthetic: syntheticPart.consistency, reference: referencePart?.consistency),
            realAccuracy: realPart.consistency,
            diversity: MetricPair(synthetic: nil, reference: nil), realDiversity: nil)
    }

    /// Mean pairwise MS-SSIM of the images at `indices`, on [0, 1] pixels.
    static func diversity(_ images: LabeledImages, _ indices: [Int], _ request: EvaluationRequest) -> Double? {
        let unit = indices.map { images.image($0).map { ($0 + 1) / 2 } }
        return MSSSIM.meanPairwise(unit, side: images.side, maxPairs: request.diversityPairs, seed: request.seed)
    }
}

/// Features, predictions and labels of one image set.
struct Embedding {
    var features: FeatureMatrix
    var predictions: [Int]
    var labels: [Int]

    init(_ embedded: (features: [Double], predictions: [Int], probabilities: [[Double]]), dimension: Int, labels: [Int]) {
        features = FeatureMatrix(rows: labels.count, dimension: dimension, values: embedded.features)
        predictions = embedded.predictions
        self.labels = labels
    }

    private init(features: FeatureMatrix, predictions: [Int], labels: [Int]) {
        self.features = features
        self.predictions = predictions
        self.labels = labels
    }

    var count: Int { labels.count }

    /// The images of one class, or all.
    func restricted(to label: Int?) -> Embedding {
        guard let label else { return self }
        let rows = labels.indices.filter { labels[$0] == label }
        return Embedding(features: features.selecting(rows: rows), predictions: rows.map { predictions[$0] },
                         labels: rows.map { labels[$0] })
    }

    /// The share of images the network assigns to their own class.
    var consistency: Double? {
        count == 0 ? nil : SampleEvaluation.accuracy(predictions, labels)
    }
}
