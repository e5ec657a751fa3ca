import Foundation
@testable import PhantomDiffusion
import PhantomLayers
import PhantomPrivacy
import PhantomTensor
import Testing

/// `base`'s images in another order: image i here is image `order[i]` there.
private struct ReorderedImages: TrainingImages {
    let base: TrainingImages
    let order: [Int]
    var count: Int { order.count }
    var resolution: Int { base.resolution }
    var classCount: Int { base.classCount }
    func label(at index: Int) -> Int? { base.label(at: order[index]) }
    func writeImage(_ index: Int, into destination: UnsafeMutablePointer<Float>) { base.writeImage(order[index], into: destination) }
}

/// DP-SGD steps (``Trainer/privateStep(_:)``): what the clipping, the noise and the Poisson
/// batches must guarantee, checked against normal steps of the same trainer.
@Suite(.serialized) struct PrivateTrainingTests {
    static func makeTrainer(images: TrainingImages = SyntheticImages(), batchSize: Int = 3,
                            privacy: DPSGDOptions?, group: ProcessGroup = SingleProcess(),
                            adjust: (inout TrainingOptions) -> Void = { _ in }) throws -> Trainer {
        let unet = UNet2D(config: TrainingRunTests.tinyConfig())
        unet.initializeParameters(seed: 5)
        var options = TrainingOptions()
        options.batchSize = batchSize
        options.steps = 10
        options.warmupSteps = 0
        options.learningRate = 1e-3
        options.seed = 5
        options.horizontalFlip = true
        options.snrGamma = 5
        options.gradientClip = nil
        options.privacy = privacy
        adjust(&options)
        var scheduler = SchedulerConfig(kind: .ddpm)
        scheduler.predictionType = .vPrediction
        return try Trainer(unet: unet, images: images, schedule: scheduler.noiseSchedule, options: options, group: group)
    }

    static func dp(sigma: Double = 0, clip: Double = 1e9, rate: Double = 1, draws: Int = 1) -> DPSGDOptions {
        DPSGDOptions(noiseMultiplier: sigma, maxGradNorm: clip, sampleRate: rate, noiseDraws: draws, delta: 1e-5)
    }

    static func gradients(_ trainer: Trainer) -> [Float] {
        trainer.unet.namedParameters.flatMap { $0.parameter.gradient.values }
    }

    static func weights(_ trainer: Trainer) -> [Float] {
        trainer.unet.namedParameters.flatMap { $0.parameter.value.values }
    }

    /// max |a − b| over max |b|.
    static func relativeDifference(_ a: [Float], _ b: [Float]) -> Float {
        let scale = b.map(abs).max() ?? 1
        return zip(a, b).map { abs($0 - $1) }.max()! / scale
    }

    @Test func withoutNoiseOrClippingAPrivateStepIsANormalStep() throws {
        let images = SyntheticImages()
        // The normal step takes epoch 0's permutation as its batch; the private step, with
        // q = 1, takes every image in index order: present the images in the permutation's order.
        let normal = try Self.makeTrainer(batchSize: images.count, privacy: nil)
        let order = DataOrder.permutation(count: images.count, seed: 5, epoch: 0)
        let reordered = ReorderedImages(base: images, order: order)
        let dp = try Self.makeTrainer(images: reordered, batchSize: images.count, privacy: Self.dp())
        let normalReport = try normal.trainStep()
        let dpReport = try dp.trainStep()
        #expect(dpReport.privateBatch?.images == images.count)
        #expect(abs(dpReport.loss - normalReport.loss) <= 1e-6 * normalReport.loss)
        #expect(Self.relativeDifference(Self.gradients(dp), Self.gradients(normal)) < 1e-5)
        #expect(Self.relativeDifference(Self.weights(dp), Self.weights(normal)) < 1e-5)
    }

    @Test func perImageNormsAreThoseOfABatchOfOne() throws {
        let images = SyntheticImages()
        let dp = try Self.makeTrainer(privacy: Self.dp())
        let norms = try #require(try dp.trainStep().privateBatch?.gradientNorms)
        #expect(norms.count == images.count)
        // With q = 1, image i is the i-th sampled, so its draws are keyed i: a separate trainer
        // whose only image is image i runs a batch of one with the same key.
        for i in 0..<images.count {
            let single = try Self.makeTrainer(images: ReorderedImages(base: images, order: [i]), batchSize: 1, privacy: nil)
            single.fillSlot(0, image: 0, key: i, position: i)
            let loss = single.lossAndGradient()
            #expect(loss.isFinite)
            let norm = gradientNorm(single.unet.namedParameters.map(\.parameter))
            #expect(abs(norm - norms[i]) <= 1e-5 * norms[i], "image \(i): \(norm) vs \(norms[i])")
        }
    }

    /// Each image's gradient comes from that image alone, so how many images share a pass (the
    /// batch size's worth of positions) changes nothing, bit for bit.
    @Test(arguments: [1, 2]) func imagesPerPassChangeNothing(draws: Int) throws {
        let options = Self.dp(sigma: 1, clip: 0.05, rate: 0.8, draws: draws)
        let runs = try [draws, 2 * draws, 4 * draws, 6 * draws].map { batchSize in
            let trainer = try Self.makeTrainer(batchSize: batchSize, privacy: options)
            let norms = try (0..<2).map { _ in try trainer.trainStep().privateBatch?.gradientNorms ?? [] }
            return (norms: norms, weights: Self.weights(trainer))
        }
        for run in runs.dropFirst() {
            #expect(run.norms == runs[0].norms)
            #expect(run.weights == runs[0].weights, "weights differ")
        }
    }

    @Test func oneImageMovesTheClippedSumByAtMostC() throws {
        let clip = 1e-4
        let base = SyntheticImages()
        let without = try Self.makeTrainer(images: ReorderedImages(base: base, order: Array(0..<5)), privacy: Self.dp(clip: clip))
        let with = try Self.makeTrainer(images: ReorderedImages(base: base, order: Array(0..<6)), privacy: Self.dp(clip: clip))
        let reportWithout = try without.trainStep(), reportWith = try with.trainStep()
        #expect(reportWith.privateBatch?.clippedFraction == 1, "every norm is above C = \(clip), so all are clipped")
        // The released gradient is the clipped sum over q·N (= N here): undo the division.
        let sumWithout = Self.gradients(without).map { Double($0) * 5 }
        let sumWith = Self.gradients(with).map { Double($0) * 6 }
        let influence = zip(sumWith, sumWithout).map { ($0 - $1) * ($0 - $1) }.reduce(0, +).squareRoot()
        #expect(influence <= clip * (1 + 1e-4))
        #expect(influence >= clip * 0.99, "the added image's gradient is clipped to exactly C")
        _ = reportWithout
    }

    @Test func noiseHasStandardDeviationSigmaCOverTheExpectedBatch() throws {
        let sigma = 2.0, clip = 0.5
        let quiet = try Self.makeTrainer(privacy: Self.dp(clip: clip))
        let noisy = try Self.makeTrainer(privacy: Self.dp(sigma: sigma, clip: clip))
        _ = try quiet.trainStep()
        _ = try noisy.trainStep()
        let differences = zip(Self.gradients(noisy), Self.gradients(quiet)).map { Double($0 - $1) }
        let mean = differences.reduce(0, +) / Double(differences.count)
        let std = (differences.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(differences.count)).squareRoot()
        let expected = sigma * clip / 6
        #expect(abs(std / expected - 1) < 0.05, "noise std \(std), expected \(expected) over \(differences.count) values")
        #expect(abs(mean) < 0.05 * expected)
    }

    @Test func poissonBatchesSampleEachImageWithProbabilityQ() throws {
        let rate = 0.3
        let trainer = try Self.makeTrainer(privacy: Self.dp(rate: rate))
        var hits = [Int](repeating: 0, count: 6), sizes = Set<Int>()
        let steps = 2000
        for step in 0..<steps {
            let batch = trainer.poissonBatch(step: step, sampleRate: rate)
            sizes.insert(batch.count)
            for image in batch { hits[image] += 1 }
        }
        // Binomial(2000, 0.3): standard deviation 20.5; allow 5 of them.
        for count in hits { #expect(abs(Double(count) - rate * Double(steps)) < 5 * 20.5) }
        #expect(sizes.contains(0) && sizes.contains(4), "batch sizes vary: \(sizes.sorted())")
    }

    @Test func privateTrainingIsTheSameOnAnyThreadCountAndAfterAResume() throws {
        let options = Self.dp(sigma: 1, clip: 0.1, rate: 0.5, draws: 2)
        func train(threads: Int, steps: Int) throws -> Trainer {
            try Parallel.withWorkers(threads) {
                let trainer = try Self.makeTrainer(privacy: options)
                for _ in 0..<steps { _ = try trainer.trainStep() }
                return trainer
            }
        }
        let two = try train(threads: 2, steps: 3)
        let one = try train(threads: 1, steps: 3)
        #expect(Self.weights(two) == Self.weights(one))

        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("phantom-dp-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        let first = try train(threads: 2, steps: 1)
        let checkpoint = try Checkpoint.write(first, into: folder)
        let resumed = try Self.makeTrainer(privacy: options)
        try Checkpoint.restore(resumed, from: checkpoint)
        for _ in 0..<2 { _ = try resumed.trainStep() }
        #expect(Self.weights(resumed) == Self.weights(two))
        #expect(resumed.ema.shadowTensors.flatMap { $0.tensor.values } == two.ema.shadowTensors.flatMap { $0.tensor.values })
    }

    @Test func theRunReportsEpsilonInItsMetricsAndModel() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("phantom-dp-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        let options = try DPSGDOptions.plan(targetEpsilon: 8, noiseMultiplier: nil, delta: nil, maxGradNorm: 1, noiseDraws: 1,
                                            datasetSize: 6, expectedBatchSize: 3, steps: 10)
        let trainer = try Self.makeTrainer(privacy: options)
        var plan = TrainingRun.Plan()
        plan.logEvery = 5
        let run = TrainingRun(trainer: trainer, folder: folder, plan: plan, schedulerConfig: SchedulerConfig(kind: .ddpm),
                              info: ModelInfo(classNames: ["a", "b"], nullClass: 2, bitDepth: 8, resolution: 8))
        #expect(try run.run(shouldStop: { false }, onStep: { _, _ in }) == .finished)
        let lines = try String(contentsOf: run.metricsFile, encoding: .utf8).split(separator: "\n")
        let last = try #require(try JSONSerialization.jsonObject(with: Data(lines.last!.utf8)) as? [String: Any])
        let epsilon = try #require(last["epsilon"] as? Double)
        #expect(epsilon <= 8 && epsilon >= 8 - 0.01, "calibrated to ε = 8 over the planned 10 steps, got \(epsilon)")
        let model = try ModelFolder.load(from: run.modelFolder)
        let guarantee = try #require(model.info.privacy)
        #expect(guarantee.steps == 10 && abs(guarantee.epsilon - epsilon) < 1e-9 && guarantee.options == options)
    }
}

/// Options the Trainer checks: `snrGamma` 0 is the same as nil (equal weights); values out of
/// range are refused.
@Suite struct TrainerOptionTests {
    @Test func zeroMeansEqualWeightsAndNegativeIsRefused() throws {
        func firstLoss(_ gamma: Double?) throws -> Double {
            try PrivateTrainingTests.makeTrainer(privacy: nil) { $0.snrGamma = gamma }.trainStep().loss
        }
        #expect(try firstLoss(0) == firstLoss(nil))
        #expect(try firstLoss(5) != firstLoss(nil))
        #expect(throws: TrainingError.self) { try PrivateTrainingTests.makeTrainer(privacy: nil) { $0.snrGamma = -1 } }
        #expect(throws: TrainingError.self) { try PrivateTrainingTests.makeTrainer(privacy: nil) { $0.snrGamma = .nan } }
    }

    /// The Trainer, not only the CLI, refuses options out of range.
    @Test func outOfRangeOptionsAreRefused() throws {
        let refused: [(inout TrainingOptions) -> Void] = [
            { $0.learningRate = 0 }, { $0.learningRate = .nan }, { $0.labelDropout = 1.5 }, { $0.labelDropout = -0.1 },
            { $0.classBalance = 2 },
        ]
        for adjust in refused {
            #expect(throws: TrainingError.self) { try PrivateTrainingTests.makeTrainer(privacy: nil, adjust: adjust) }
        }
        _ = try PrivateTrainingTests.makeTrainer(privacy: nil) { $0.labelDropout = 1; $0.classBalance = 0 }
    }
}
