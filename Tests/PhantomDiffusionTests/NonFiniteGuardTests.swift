import Foundation
import PhantomDiffusion
import Testing

/// Smooth 8×8 unlabeled images that turn into NaN for chosen steps: the trainer asks
/// for `batchSize` images per step in order, so the call count says which step is
/// being prepared.
final class PoisonedImages: TrainingImages {
    let count = 6
    let resolution = 8
    let classCount = 0
    let batchSize: Int
    /// 1-based steps whose batches hold a NaN pixel.
    let poisonedSteps: Set<Int>
    private var calls = 0

    init(batchSize: Int, poisonedSteps: Set<Int>) {
        self.batchSize = batchSize
        self.poisonedSteps = poisonedSteps
    }

    func label(at index: Int) -> Int? { nil }

    func writeImage(_ index: Int, into destination: UnsafeMutablePointer<Float>) {
        let step = calls / batchSize + 1
        calls += 1
        for y in 0..<8 {
            for x in 0..<8 {
                destination[y * 8 + x] = sin(Float(x + index) * 0.7) * cos(Float(y) * 0.5)
            }
        }
        if poisonedSteps.contains(step) { destination[27] = .nan }
    }
}

/// The trainer's guard against a loss or gradient that stops being finite: it stops
/// with ``TrainingError/nonFinite(step:loss:gradientNorm:)`` naming the step, keeps
/// the checkpoints written before it, and with `skipNonFinite` skips that many bad
/// steps without touching the weights.
@Suite struct NonFiniteGuardTests {
    static let batchSize = 2

    static func makeRun(images: any TrainingImages, folder: URL, steps: Int, learningRate: Double = 1e-3,
                        skipNonFinite: Int = 0, checkpointEvery: Int = 1) throws -> TrainingRun {
        var config = UNetConfig(sampleSize: 8, inChannels: 1, outChannels: 1,
                                downBlockTypes: [.plain, .plain], upBlockTypes: [.plain, .plain],
                                blockOutChannels: [4, 8], layersPerBlock: 1)
        config.normNumGroups = 2
        config.hasMidBlock = false
        let unet = UNet2D(config: config)
        unet.initializeParameters(seed: 3)
        var options = TrainingOptions()
        options.batchSize = batchSize
        options.steps = steps
        options.warmupSteps = 0
        options.schedule = .constant
        options.learningRate = learningRate
        options.gradientClip = nil
        options.seed = 3
        options.skipNonFinite = skipNonFinite
        let trainer = try Trainer(unet: unet, images: images, schedule: NoiseSchedule(), options: options)
        var plan = TrainingRun.Plan()
        plan.checkpointEvery = checkpointEvery
        plan.keepCheckpoints = 2
        return TrainingRun(trainer: trainer, folder: folder, plan: plan, schedulerConfig: SchedulerConfig(kind: .ddpm),
                           info: ModelInfo(classNames: [], nullClass: nil, bitDepth: 8, resolution: 8))
    }

    static func temporaryFolder() -> URL {
        FileManager.default.temporaryDirectory.appendingPathComponent("phantom-nonfinite-\(UUID().uuidString)")
    }

    static func weights(_ run: TrainingRun) -> [Float] {
        run.trainer.unet.namedParameters.flatMap { $0.parameter.value.values }
    }

    /// Runs `run` expecting it to stop with a non-finite error; returns the error's step.
    static func expectNonFinite(_ run: TrainingRun, sourceLocation: SourceLocation = #_sourceLocation) -> Int? {
        do {
            let outcome = try run.run(shouldStop: { false }, onStep: { _, _ in })
            Issue.record("the run ended with \(outcome) instead of stopping on a non-finite loss", sourceLocation: sourceLocation)
        } catch let .nonFinite(step, loss, norm) {
            #expect(!loss.isFinite || !norm.isFinite, sourceLocation: sourceLocation)
            let message = TrainingError.nonFinite(step: step, loss: loss, gradientNorm: norm).description
            #expect(message.hasPrefix("step \(step):"), "\(message)", sourceLocation: sourceLocation)
            for hint in ["--lr", "--grad-clip", "--skip-nonfinite", "last checkpoint is kept"] {
                #expect(message.contains(hint), "\(message)", sourceLocation: sourceLocation)
            }
            return step
        } catch {
            Issue.record("unexpected error \(error)", sourceLocation: sourceLocation)
        }
        return nil
    }

    @Test func nanPixelStopsTheRunNamingTheStepAndKeepsTheLastCheckpoint() throws {
        let folder = Self.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let run = try Self.makeRun(images: PoisonedImages(batchSize: Self.batchSize, poisonedSteps: [4]),
                                   folder: folder, steps: 10)
        #expect(Self.expectNonFinite(run) == 4)
        // The update of step 4 was not applied: the weights are those of step 3.
        #expect(run.trainer.step == 3)
        #expect(Self.weights(run).allSatisfy { $0.isFinite })

        // The checkpoints before the failure survive, complete, and a new process resumes from step 3.
        let checkpoints = Checkpoint.all(in: run.checkpointFolder)
        #expect(checkpoints.map(\.step) == [2, 3])
        let names = try FileManager.default.contentsOfDirectory(atPath: run.checkpointFolder.path).sorted()
        #expect(names == ["step-00000002", "step-00000003"], "no half-written checkpoint is left behind")
        for file in ["unet.safetensors", "ema.safetensors", "optimizer.safetensors", "config.json", "state.json"] {
            let path = checkpoints.last!.url.appendingPathComponent(file).path
            let size = (try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
            #expect(size > 0, "\(file) is missing or empty")
        }
        // model/ holds the EMA weights of the last checkpoint.
        #expect(try ModelFolder.load(from: run.modelFolder).unet.namedParameters
                    .allSatisfy { $0.parameter.value.values.allSatisfy { $0.isFinite } })

        let resumed = try Self.makeRun(images: PoisonedImages(batchSize: Self.batchSize, poisonedSteps: []),
                                       folder: folder, steps: 5)
        #expect(try resumed.resumeFromLatestCheckpoint() == 3)
        #expect(Self.weights(resumed) == Self.weights(run))
        #expect(try resumed.run(shouldStop: { false }, onStep: { _, _ in }) == .finished)
        #expect(resumed.trainer.step == 5)
    }

    @Test func absurdLearningRateStopsTheRunNamingTheStep() throws {
        let folder = Self.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        // Step 1 is computed with the initial weights; its update (AdamW moves each weight
        // by about the learning rate) makes every later forward pass overflow.
        let run = try Self.makeRun(images: PoisonedImages(batchSize: Self.batchSize, poisonedSteps: []),
                                   folder: folder, steps: 10, learningRate: 1e30)
        let step = Self.expectNonFinite(run)
        #expect(step == 2)
        #expect(run.trainer.step == 1)
        #expect(Checkpoint.all(in: run.checkpointFolder).map(\.step) == [1])
    }

    @Test func skipNonFiniteSkipsUpToNStepsAndContinues() throws {
        let folder = Self.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let run = try Self.makeRun(images: PoisonedImages(batchSize: Self.batchSize, poisonedSteps: [2, 5]),
                                   folder: folder, steps: 7, skipNonFinite: 2)
        var reports: [StepReport] = []
        var weightsBefore: [Int: [Float]] = [:]
        var weightsAfter: [Int: [Float]] = [:]
        var last = Self.weights(run)
        let outcome = try run.run(shouldStop: { false }, onStep: { report, _ in
            reports.append(report)
            weightsBefore[report.step] = last
            last = Self.weights(run)
            weightsAfter[report.step] = last
        })
        #expect(outcome == .finished)
        #expect(reports.map(\.step) == Array(1...7))
        #expect(reports.filter(\.skipped).map(\.step) == [2, 5])
        #expect(reports.filter { !$0.skipped }.allSatisfy { $0.loss.isFinite && $0.gradientNorm.isFinite })
        // A skipped step leaves the weights alone; the others move them.
        #expect(weightsAfter[2] == weightsBefore[2])
        #expect(weightsAfter[5] == weightsBefore[5])
        #expect(weightsAfter[3] != weightsBefore[3])
        #expect(run.trainer.skippedSteps == 2)
        #expect(run.trainer.optimizer.stepCount == 5)
        #expect(Self.weights(run).allSatisfy { $0.isFinite })

        // The skip count is part of the checkpoint.
        let state = try JSONSerialization.jsonObject(with: Data(contentsOf: Checkpoint.all(in: run.checkpointFolder)
            .last!.url.appendingPathComponent("state.json"))) as? [String: Any]
        #expect(state?["skipped_steps"] as? Int == 2)
        #expect(state?["step"] as? Int == 7)
    }

    @Test func skipAllowanceIsCountedOverTheWholeRun() throws {
        let folder = Self.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        // Two bad steps and an allowance of one: the second bad step stops the run.
        let run = try Self.makeRun(images: PoisonedImages(batchSize: Self.batchSize, poisonedSteps: [2, 5]),
                                   folder: folder, steps: 7, skipNonFinite: 1)
        #expect(Self.expectNonFinite(run) == 5)
        #expect(run.trainer.skippedSteps == 2)
        #expect(Checkpoint.all(in: run.checkpointFolder).map(\.step) == [3, 4])
    }

    @Test func skipAllowanceSurvivesAResume() throws {
        let folder = Self.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        // First process: skips step 2 (allowance 1) and stops after step 3.
        let first = try Self.makeRun(images: PoisonedImages(batchSize: Self.batchSize, poisonedSteps: [2]),
                                     folder: folder, steps: 7, skipNonFinite: 1, checkpointEvery: 3)
        var plan = first.plan
        plan.stopAfterSteps = 3
        let stopping = TrainingRun(trainer: first.trainer, folder: folder, plan: plan,
                                   schedulerConfig: first.schedulerConfig, info: first.info)
        #expect(try stopping.run(shouldStop: { false }, onStep: { _, _ in })
                == .stopped(reason: "stopped after 3 steps at step 3"))
        // Second process: its images go bad at (its own) second batch, step 5 of the run;
        // the allowance is already used, so it stops there.
        let second = try Self.makeRun(images: PoisonedImages(batchSize: Self.batchSize, poisonedSteps: [2]),
                                      folder: folder, steps: 7, skipNonFinite: 1, checkpointEvery: 3)
        #expect(try second.resumeFromLatestCheckpoint() == 3)
        #expect(second.trainer.skippedSteps == 1)
        #expect(Self.expectNonFinite(second) == 5)
    }
}
