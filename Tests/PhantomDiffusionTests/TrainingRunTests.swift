import Foundation
import PhantomDiffusion
import PhantomTensor
import Testing

/// A few smooth random 8×8 images in two classes, made in memory.
struct SyntheticImages: TrainingImages {
    let count = 6
    let resolution = 8
    let classCount = 2
    func label(at index: Int) -> Int? { index % 2 }
    func writeImage(_ index: Int, into destination: UnsafeMutablePointer<Float>) {
        for y in 0..<8 {
            for x in 0..<8 {
                destination[y * 8 + x] = sin(Float(x + index) * 0.7) * cos(Float(y * (index % 2 + 1)) * 0.5)
            }
        }
    }
}

@Suite(.serialized) struct TrainingRunTests {
    static func makeRun(folder: URL, steps: Int, plan: TrainingRun.Plan = .init(), seed: UInt64 = 5,
                        dropout: Double = 0.1, defaultRecipe: Bool = true) throws -> TrainingRun {
        let unet = UNet2D(config: tinyConfig(dropout: dropout))
        unet.initializeParameters(seed: seed)
        var options = TrainingOptions()
        options.batchSize = 3
        options.steps = steps
        options.warmupSteps = 2
        options.learningRate = 1e-3
        options.seed = seed
        options.horizontalFlip = true
        // The default recipe of `phantom train` (v-prediction with min-SNR-γ weights), or
        // diffusers' (ε-prediction, every timestep weighted alike).
        var scheduler = SchedulerConfig(kind: .ddpm)
        if defaultRecipe {
            options.snrGamma = 5
            scheduler.predictionType = .vPrediction
        }
        let trainer = try Trainer(unet: unet, images: SyntheticImages(), schedule: scheduler.noiseSchedule,
                                  options: options)
        return TrainingRun(trainer: trainer, folder: folder, plan: plan, schedulerConfig: scheduler,
                           info: ModelInfo(classNames: ["a", "b"], nullClass: 2, bitDepth: 8, resolution: 8))
    }

    /// A two-level 8×8 U-Net for `SyntheticImages`' two classes (plus the null class).
    static func tinyConfig(dropout: Double = 0.1) -> UNetConfig {
        var config = UNetConfig(sampleSize: 8, inChannels: 1, outChannels: 1,
                                downBlockTypes: [.plain, .attention], upBlockTypes: [.attention, .plain],
                                blockOutChannels: [4, 8], layersPerBlock: 1)
        config.normNumGroups = 2
        config.attentionHeadDim = 4
        config.numClassEmbeds = 3
        config.dropout = dropout
        return config
    }

    static func temporaryFolder() -> URL {
        FileManager.default.temporaryDirectory.appendingPathComponent("phantom-run-\(UUID().uuidString)")
    }

    static func state(_ run: TrainingRun) -> [Float] {
        run.trainer.unet.namedParameters.flatMap { $0.parameter.value.values }
            + run.trainer.ema.shadowTensors.flatMap { $0.tensor.values }
            + run.trainer.optimizer.stateTensors.flatMap { $0.tensor.values }
    }

    @Test func resumedRunIsBitIdenticalToUninterruptedRun() throws {
        let straightFolder = Self.temporaryFolder(), resumedFolder = Self.temporaryFolder()
        defer {
            try? FileManager.default.removeItem(at: straightFolder)
            try? FileManager.default.removeItem(at: resumedFolder)
        }
        let straight = try Self.makeRun(folder: straightFolder, steps: 7)
        #expect(try straight.run(shouldStop: { false }, onStep: { _, _ in }) == .finished)

        var plan = TrainingRun.Plan()
        plan.stopAfterSteps = 3
        let first = try Self.makeRun(folder: resumedFolder, steps: 7, plan: plan)
        let outcome = try first.run(shouldStop: { false }, onStep: { _, _ in })
        #expect(outcome == .stopped(reason: "stopped after 3 steps at step 3"))
        // A fresh process: new objects, different initial weights, restored from disk.
        let second = try Self.makeRun(folder: resumedFolder, steps: 7, seed: 5)
        second.trainer.unet.initializeParameters(seed: 999)
        #expect(try second.resumeFromLatestCheckpoint() == 3)
        #expect(try second.run(shouldStop: { false }, onStep: { _, _ in }) == .finished)

        #expect(second.trainer.step == 7)
        #expect(Self.state(second) == Self.state(straight))
        let exported = try ModelFolder.load(from: resumedFolder.appendingPathComponent("model"))
        #expect(exported.unet.namedParameters.flatMap { $0.parameter.value.values }
                == straight.trainer.ema.shadowTensors.flatMap { $0.tensor.values })
        #expect(exported.info.classNames == ["a", "b"])
    }

    @Test func trainingIsIndependentOfThreadCount() throws {
        var results: [[Float]] = []
        for threads in [1, 2] {
            try Parallel.withWorkers(threads) {
                let folder = Self.temporaryFolder()
                defer { try? FileManager.default.removeItem(at: folder) }
                let run = try Self.makeRun(folder: folder, steps: 3)
                _ = try run.run(shouldStop: { false }, onStep: { _, _ in })
                results.append(Self.state(run))
            }
        }
        #expect(results[0] == results[1])
    }

    @Test func lossDecreasesOnAFixedSet() throws {
        let folder = Self.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        // ε-prediction: its unweighted loss is comparable from step to step.
        let run = try Self.makeRun(folder: folder, steps: 120, dropout: 0, defaultRecipe: false)
        var losses: [Double] = []
        _ = try run.run(shouldStop: { false }, onStep: { report, _ in losses.append(report.loss) })
        let early = losses[0..<20].reduce(0, +) / 20, late = losses[100..<120].reduce(0, +) / 20
        #expect(late < 0.8 * early, "loss \(early) → \(late)")
    }

    @Test func evaluationSamplesAreLoggedWithTheirStep() throws {
        let folder = Self.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        var plan = TrainingRun.Plan()
        plan.evaluateEvery = 2
        plan.evaluationSamplesPerClass = 3
        let run = try Self.makeRun(folder: folder, steps: 4, plan: plan)
        var calls: [(shape: [Int], labels: [Int]?, step: Int)] = []
        _ = try run.run(shouldStop: { false }, onStep: { _, _ in }, onEvaluate: { images, labels, step in
            calls.append((images.shape, labels, step))
            return ["eval_score": Double(step) / 10]
        })
        #expect(calls.map(\.step) == [2, 4])
        #expect(calls.first?.shape == [6, 1, 8, 8])
        #expect(calls.first?.labels == [0, 0, 0, 1, 1, 1])
        let lines = try String(contentsOf: run.metricsFile, encoding: .utf8).split(separator: "\n")
        let evaluations = lines.compactMap { line -> [String: Any]? in
            let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
            return object?["eval_score"] == nil ? nil : object
        }
        #expect(evaluations.map { $0["step"] as? Int } == [2, 4])
        #expect(evaluations.map { $0["eval_score"] as? Double } == [0.2, 0.4])
    }

    @Test func checkpointsArePrunedAndNeverIncomplete() throws {
        let folder = Self.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        var plan = TrainingRun.Plan()
        plan.checkpointEvery = 2
        plan.keepCheckpoints = 2
        let run = try Self.makeRun(folder: folder, steps: 7, plan: plan)
        _ = try run.run(shouldStop: { false }, onStep: { _, _ in })
        #expect(Checkpoint.all(in: run.checkpointFolder).map(\.step) == [6, 7])
        let names = try FileManager.default.contentsOfDirectory(atPath: run.checkpointFolder.path)
        #expect(names.sorted() == ["step-00000006", "step-00000007"])
        let metrics = try String(contentsOf: run.metricsFile, encoding: .utf8).split(separator: "\n")
        #expect(metrics.count == 1)  // logEvery 10: only the final step
        #expect(metrics[0].contains("\"step\":7"))
    }
}
