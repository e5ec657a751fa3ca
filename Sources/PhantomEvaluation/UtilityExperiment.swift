import Foundation

/// Train on synthetic, test on real (the measure of what synthetic images are worth to
/// the classifier they are meant to augment). Each arm trains the ``ClassifierRecipe``
/// for the same number of steps — those the recipe gives the largest arm (real +
/// synthetic), so that no arm is cut short — and seed `s` of every arm starts from the
/// same weights: the arms differ only in their data.
enum UtilityExperiment {
    static func run(_ request: UtilityRequest, real: LabeledImages, synthetic: LabeledImages, test: LabeledImages,
                    classNames: [String], recipe: ClassifierRecipe,
                    progress: (Int, Int) -> Void) -> UtilityReport {
        let groups = real.indicesByClass(classCount: classNames.count)
        let kept = request.limitRealPerClass.map { limit in
            real.selecting(groups.enumerated().flatMap { label, indices in
                SeededShuffle.subset(indices, size: limit, seed: recipe.seed, purpose: limitPurpose, round: UInt32(label))
            })
        } ?? real
        let arms: [(String, LabeledImages)] = [("real", kept), ("synthetic", synthetic), ("real+synthetic", kept.appending(synthetic))]
        let steps = recipe.steps(forImages: arms.map(\.1.count).max()!)
        let seeds = max(1, request.seeds)
        var done = 0
        let reports = arms.map { name, images in
            var accuracies: [Double] = []
            var perClass = [Double](repeating: 0, count: classNames.count)
            for seed in 0..<seeds {
                var armRecipe = recipe
                armRecipe.seed = recipe.seed &+ UInt64(seed)
                let network = FeatureNetwork.train(on: images, classNames: classNames, recipe: armRecipe, steps: steps)
                let predictions = network.embed(test).predictions
                accuracies.append(SampleEvaluation.accuracy(predictions, test.labels))
                for (label, indices) in test.indicesByClass(classCount: classNames.count).enumerated() where !indices.isEmpty {
                    perClass[label] += Double(indices.filter { predictions[$0] == label }.count) / Double(indices.count) / Double(seeds)
                }
                done += 1
                progress(done, arms.count * seeds)
            }
            let mean = accuracies.reduce(0, +) / Double(seeds)
            let variance = seeds > 1 ? accuracies.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(seeds - 1) : 0
            return UtilityReport.Arm(name: name, images: images.count, accuracies: accuracies, mean: mean,
                                     standardDeviation: variance.squareRoot(),
                                     perClass: Dictionary(uniqueKeysWithValues: zip(classNames, perClass)))
        }
        return UtilityReport(limitRealPerClass: request.limitRealPerClass, steps: steps, seeds: seeds, arms: reports)
    }

    /// The stream word of the low-data subsets ("LIMT").
    static let limitPurpose: UInt32 = 0x4C49_4D54
}
