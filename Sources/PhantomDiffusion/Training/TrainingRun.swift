import Dispatch
import Foundation
import PhantomImaging
import PhantomPrivacy
import PhantomSafetensors
import PhantomTensor

/// A training run in a folder (``RunFolder``): drives a ``Trainer`` step by step, writes
/// checkpoints (`checkpoints/step-N`), keeps `model/` holding the latest EMA model
/// in diffusers' layout, appends one JSON line per logged step to `metrics.jsonl`,
/// writes a grid of EMA samples to `samples/` every `sampleEvery` steps, and stops
/// cleanly — after a checkpoint — at the last step, after a step budget or time limit,
/// or when asked to (Ctrl-C). The run's records (`run.json` and the configs) are written
/// before it by ``RunFolder/start(settings:unetConfig:schedulerConfig:)``.
///
/// In a data-parallel job (the trainer's ``Trainer/group``) every process runs the same
/// loop; only the lead process (rank 0) writes the folder and calls the `onStep` and
/// `onEvaluate` callbacks. Whether to stop is decided together after each
/// step (any process's time limit or interrupt stops all at the same step), and at each
/// checkpoint the processes check that their weights are still bit-identical.
public final class TrainingRun {
    /// When to checkpoint, log and stop.
    public struct Plan: Sendable {
        public var checkpointEvery = 1000
        public var keepCheckpoints = 3
        public var logEvery = 10
        /// Write a sample grid from the EMA weights every this many steps (nil: never).
        public var sampleEvery: Int?
        /// Draw samples from the EMA weights and hand them to `onEvaluate` every N steps.
        public var evaluateEvery: Int?
        /// Samples per class (or in all, unconditional) for `onEvaluate`.
        public var evaluationSamplesPerClass = 16
        /// Stop (after a checkpoint) once this many seconds have passed.
        public var timeLimit: Double?
        /// Stop (after a checkpoint) after this many steps in this invocation.
        public var stopAfterSteps: Int?
        public init() {}
    }

    /// How a call to ``run(shouldStop:onStep:onSample:onEvaluate:)`` ended.
    public enum Outcome: Equatable, Sendable {
        case finished
        case stopped(reason: String)
    }

    public let trainer: Trainer
    public let folder: URL
    public let plan: Plan
    public let schedulerConfig: SchedulerConfig
    public private(set) var info: ModelInfo
    /// The U-Net that holds the EMA weights for sampling and export.
    public let emaUNet: UNet2D

    /// The folder's layout.
    public var layout: RunFolder { RunFolder(folder) }
    public var checkpointFolder: URL { layout.checkpoints }
    public var modelFolder: URL { layout.model }
    public var metricsFile: URL { layout.metrics }

    public init(trainer: Trainer, folder: URL, plan: Plan, schedulerConfig: SchedulerConfig, info: ModelInfo) {
        self.trainer = trainer
        self.folder = folder
        self.plan = plan
        self.schedulerConfig = schedulerConfig
        self.info = info
        emaUNet = UNet2D(config: trainer.unet.config)
    }

    /// Restores the newest checkpoint, if any; returns its step. Metrics logged after
    /// it (by the interrupted process) are dropped so the log matches the state.
    @discardableResult
    public func resumeFromLatestCheckpoint() throws(TrainingError) -> Int? {
        guard let latest = Checkpoint.all(in: checkpointFolder).last else { return nil }
        try Checkpoint.restore(trainer, from: latest.url)
        if trainer.group.isLead { truncateMetrics(after: trainer.step) }
        return trainer.step
    }

    /// Trains until the plan or `shouldStop` says to stop. `onStep` sees every
    /// step's report and the smoothed images per second; `onSample` gets the path of each
    /// sample grid written (every `sampleEvery` steps).
    public func run(shouldStop: () -> Bool,
                    onStep: (StepReport, Double) -> Void,
                    onSample: (URL) -> Void = { _ in },
                    onEvaluate: ((Tensor, [Int]?, Int) -> [String: Double])? = nil) throws(TrainingError) -> Outcome {
        let lead = trainer.group.isLead
        if lead { try prepareFolder() }
        let start = DispatchTime.now().uptimeNanoseconds
        let firstStep = trainer.step
        var lastTime = start
        var rate = 0.0
        while trainer.step < trainer.options.steps {
            let report = try trainer.trainStep()
            let now = DispatchTime.now().uptimeNanoseconds
            let seen = report.privateBatch?.images ?? trainer.options.batchSize
            let instant = Double(seen) / (Double(now - lastTime) / 1e9)
            rate = rate == 0 ? instant : 0.9 * rate + 0.1 * instant
            lastTime = now
            if lead {
                onStep(report, rate)
                if report.step % plan.logEvery == 0 || report.step == trainer.options.steps {
                    appendMetrics(report, imagesPerSecond: rate)
                }
                if let every = plan.sampleEvery, report.step % every == 0 {
                    onSample(try writeSampleGrid(step: report.step))
                }
                if let every = plan.evaluateEvery, let onEvaluate, report.step % every == 0 {
                    let labels = evaluationLabels()
                    let metrics = onEvaluate(try sampleEMA(labels: labels, count: labels?.count ?? plan.evaluationSamplesPerClass),
                                             labels, report.step)
                    appendLine(metrics.mapValues { $0 as Any }.merging(["step": report.step]) { $1 })
                }
            }
            if report.step == trainer.options.steps { break }
            if report.step % plan.checkpointEvery == 0 { try saveCheckpoint() }
            if let reason = stopReason(elapsed: Double(now - start) / 1e9, stepsThisRun: trainer.step - firstStep,
                                       interrupted: shouldStop()) {
                try saveCheckpoint()
                return .stopped(reason: reason)
            }
        }
        try saveCheckpoint()
        return .finished
    }

    /// Why to stop after this step, or nil to go on: the time limit, the step budget of this
    /// invocation, or an interrupt — on any process of a data-parallel job, which all stop
    /// at the same step.
    private func stopReason(elapsed: Double, stepsThisRun: Int, interrupted: Bool) -> String? {
        let timeUp = plan.timeLimit.map { elapsed >= $0 } ?? false
        let budgetSpent = plan.stopAfterSteps.map { stepsThisRun >= $0 } ?? false
        var flags = [timeUp, budgetSpent, interrupted].map { $0 ? 1.0 : 0.0 }
        if trainer.group.size > 1 { flags = trainer.group.allReduceSum(flags) }
        if flags[0] > 0 { return "time limit of \(Int(plan.timeLimit ?? 0)) s reached at step \(trainer.step)" }
        if flags[1] > 0 { return "stopped after \(plan.stopAfterSteps ?? 0) steps at step \(trainer.step)" }
        if flags[2] > 0 { return "interrupted at step \(trainer.step)" }
        return nil
    }

    /// Writes a checkpoint, prunes old ones, and refreshes `model/` from the EMA weights (the
    /// lead process; in a data-parallel job every process calls this, and all first check
    /// that their weights are identical).
    public func saveCheckpoint() throws(TrainingError) {
        if trainer.group.size > 1 {
            let fingerprints = trainer.group.allGather(trainer.weightsFingerprint())
            guard Set(fingerprints).count == 1 else {
                throw .invalid("the data-parallel processes' weights differ at step \(trainer.step) "
                               + "(fingerprints by rank: \(fingerprints.map { String($0, radix: 16) }.joined(separator: ", ")))")
            }
            guard trainer.group.isLead else { return }
        }
        try Checkpoint.write(trainer, into: checkpointFolder)
        Checkpoint.prune(in: checkpointFolder, keep: plan.keepCheckpoints)
        try exportModel()
    }

    /// Writes the EMA weights as a diffusers model folder at `model/`.
    public func exportModel() throws(TrainingError) {
        trainer.ema.copy(into: emaUNet)
        info.privacy = trainer.options.privacy.map { DPSGDGuarantee(options: $0, steps: trainer.step) }
        do {
            try ModelFolder(unet: emaUNet, schedulerConfig: schedulerConfig, info: info).write(to: modelFolder)
        } catch {
            throw .io(path: error.path, reason: error.reason)
        }
    }

    /// One image per class (or 8 unconditional images), 20 DPM-Solver++ steps from the EMA weights.
    /// Samples one image per class (8 when unconditional) from the EMA weights and writes
    /// them as one grid, 8 to a row, to `samples/step-N.png`; returns its path.
    private func writeSampleGrid(step: Int) throws(TrainingError) -> URL {
        let classes = info.classNames.count
        let labels: [Int]? = trainer.nullClass == nil ? nil : Array(0..<max(1, classes))
        let images = try sampleEMA(labels: labels, count: labels?.count ?? 8)
        let tiles = images.itemValues
        let file = layout.sampleGrid(step: step)
        do {
            try FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
            try PNGEncoder.write(ImageGrid.tile(tiles, side: images.shape[2], columns: min(8, tiles.count)), to: file.path)
        } catch {
            throw .io(path: file.path, reason: "cannot write the sample grid (\(fileErrorReason(error, path: file)))")
        }
        return file
    }

    /// The labels of the evaluation samples: `evaluationSamplesPerClass` of each class
    /// in turn, or nil for an unconditional model.
    private func evaluationLabels() -> [Int]? {
        guard trainer.nullClass != nil, !info.classNames.isEmpty else { return nil }
        return info.classNames.indices.flatMap { Array(repeating: $0, count: plan.evaluationSamplesPerClass) }
    }

    /// `count` images (noise indices 0..<count, labels as given), 20 DPM-Solver++ steps
    /// from the EMA weights, in batches of 16.
    private func sampleEMA(labels: [Int]?, count: Int) throws(TrainingError) -> Tensor {
        trainer.ema.copy(into: emaUNet)
        var fast = schedulerConfig
        fast.kind = .dpmSolverMultistep
        fast.timestepSpacing = .linspace
        let sampler = Sampler(unet: emaUNet, scheduler: fast.makeScheduler(), nullClass: trainer.nullClass)
        let side = emaUNet.config.sampleSize, perImage = emaUNet.config.outChannels * side * side
        let images = Tensor(zeros: [count, emaUNet.config.outChannels, side, side])
        for start in stride(from: 0, to: count, by: 16) {
            let indices = Array(start..<min(count, start + 16))
            do {
                let batch = try sampler.sample(indices: indices, labels: labels.map { labels in indices.map { labels[$0] } },
                                               seed: trainer.options.seed, steps: 20)
                (images.data + start * perImage).update(from: batch.data, count: batch.count)
            } catch {
                throw .invalid(error.description)
            }
        }
        return images
    }

    private func prepareFolder() throws(TrainingError) {
        do {
            try FileManager.default.createDirectory(at: checkpointFolder, withIntermediateDirectories: true)
        } catch {
            throw .io(path: checkpointFolder.path, reason: "cannot create (\(fileErrorReason(error)))")
        }
        guard FileManager.default.isWritableFile(atPath: checkpointFolder.path) else {
            throw .io(path: checkpointFolder.path, reason: "not writable")
        }
    }

    private func appendMetrics(_ report: StepReport, imagesPerSecond: Double) {
        var line: [String: Any] = [
            "step": report.step, "loss": report.loss.isFinite ? report.loss : NSNull(),
            "lr": report.learningRate, "images_per_sec": imagesPerSecond,
            "grad_norm": report.gradientNorm.isFinite ? report.gradientNorm : NSNull(),
            "skipped": report.skipped,
        ]
        if let privacy = trainer.options.privacy, let batch = report.privateBatch {
            let epsilon = DPSGDGuarantee(options: privacy, steps: report.step).epsilon
            line["epsilon"] = epsilon.isFinite ? epsilon : NSNull()
            line["dp_batch"] = batch.images
            line["dp_clipped_fraction"] = batch.clippedFraction
        }
        appendLine(line)
    }

    /// Appends one JSON object as a line of `metrics.jsonl`.
    private func appendLine(_ line: [String: Any]) {
        guard var data = try? JSONSerialization.data(withJSONObject: line, options: [.sortedKeys]) else { return }
        data.append(0x0A)
        if let handle = try? FileHandle(forWritingTo: metricsFile) {
            handle.seekToEndOfFile()
            handle.write(data)
            try? handle.close()
        } else {
            try? data.write(to: metricsFile)
        }
    }

    private func truncateMetrics(after step: Int) {
        guard let text = try? String(contentsOf: metricsFile, encoding: .utf8) else { return }
        let kept = text.split(separator: "\n").filter { line in
            guard let data = line.data(using: .utf8),
                  let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
                  let lineStep = object["step"] as? Int else { return false }
            return lineStep <= step
        }
        try? (kept.joined(separator: "\n") + (kept.isEmpty ? "" : "\n")).write(to: metricsFile, atomically: true, encoding: .utf8)
    }
}
