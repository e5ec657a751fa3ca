import ArgumentParser
import Foundation
import PhantomDiffusion
import PhantomDistribution
import PhantomEvaluation
import PhantomImaging
import PhantomPrivacy
import PhantomTensor

/// `phantom train DATA --out RUN`: trains a DDPM on an image folder.
struct TrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Train a diffusion model on an image folder.",
        discussion: """
            DATA is an ImageFolder tree (DATA/<class>/**/*.png, .jpg or .tif). With two or more class \
            folders the model is class-conditional, with label dropout to a null class so \
            classifier-free guidance works. RUN receives checkpoints/, model/ (the latest EMA \
            model in diffusers' layout), metrics.jsonl and samples/. Ctrl-C, --time-limit and \
            --stop-after-steps save a checkpoint and exit 0; --resume continues exactly, with \
            the settings stored in RUN/run.json: the model, data and optimizer options given \
            again are ignored (a note names them); the options of checkpoints, logging, \
            sample grids, evaluation, the time limit and threads apply to the resumed part.
            """
    )

    @Argument(help: "The training image folder.") var data: String
    @Option(help: "The run folder.") var out: String

    @Option(help: "Model size (default tiny).") var preset: UNetConfig.Preset?
    @Option(help: "A diffusers UNet2DModel config.json to use instead of a preset.") var unetConfig: String?
    @Option(help: "Start from this model folder's weights (Phantom's or a diffusers UNet2DModel), with a fresh optimizer and schedule.")
    var initFrom: String?
    @Option(help: "Image side in pixels (default: the preset's, 32 for tiny and cifar, 64 for small).")
    var resolution: Int?
    @Option(help: "Images per step (default \(TrainingOptions().batchSize)).") var batchSize: Int?
    @Option(help: "Peak learning rate (default 1e-3, measured best with v-prediction and min-SNR weighting).") var lr: Double?
    @Option(help: "Steps of linear learning-rate warm-up from 0 (default \(TrainingOptions().warmupSteps)).") var warmupSteps: Int?
    @Option(help: "Learning-rate schedule after warm-up (default cosine).") var lrSchedule: TrainingOptions.Schedule?
    @Option(help: "Total optimizer steps (default 10000).") var steps: Int?
    @Option(help: "Total epochs, instead of --steps.") var epochs: Double?
    @Option(help: "Maximum EMA decay (default \(TrainingOptions().emaMaxDecay), with diffusers' warm-up).") var emaDecay: Double?
    @Option(help: "Clip the global gradient norm to this (default 1; 0: off).") var gradClip: Double?
    @Option(help: "What the model predicts (default v_prediction, or the --init-from model's).")
    var predictionType: PredictionType?
    @Option(help: "γ of min-SNR-γ loss weighting (default 5; 0 weights every timestep equally).") var snrGamma: Double?
    @Option(help: "Seed of every random draw (default \(TrainingOptions().seed)).") var seed: UInt64?
    @Flag(help: "Mirror images left-right at random (off by default: anatomy has a side).") var hflip = false
    @Option(help: "Probability of training a class-conditional model without its label (default \(TrainingOptions().labelDropout)).")
    var labelDropout: Double?
    @Option(help: ArgumentHelp("Tolerate up to N steps with a non-finite loss or gradient by skipping them (default 0).", valueName: "n"))
    var skipNonfinite: Int?
    @OptionGroup(title: "Differential privacy (DP-SGD)") var privacy: PrivacyOptionGroup
    @OptionGroup(title: "Reading images: DICOM windows, NIfTI slices, slide tiles, square fit") var reading: ReadingOptions

    @Option(help: ArgumentHelp("Checkpoint every N steps.", valueName: "n")) var checkpointEvery = 1000
    @Option(help: ArgumentHelp("Checkpoints to keep.", valueName: "n")) var keepCheckpoints = 3
    @Option(help: ArgumentHelp("Write a sample grid from the EMA weights every N steps.", valueName: "n")) var sampleEvery: Int?
    @Option(help: ArgumentHelp("Log a metrics line every N steps.", valueName: "n")) var logEvery = 10
    @Option(help: ArgumentHelp("Every N steps, sample the EMA model (DPM-Solver++, 20 steps) and log Fréchet distance, class consistency, precision and recall against --eval-real.", valueName: "n"))
    var evalEvery: Int?
    @Option(help: "With --eval-every: the real test images (DIR/<class>/…).") var evalReal: String?
    @Option(help: "With --eval-every: samples per class.") var evalSamples = 16
    @Option(help: ArgumentHelp("Checkpoint and stop after this long (e.g. 90m, 2h, 1h30m, or 3600 for seconds).", valueName: "duration"))
    var timeLimit: String?
    @Option(help: ArgumentHelp("Checkpoint and stop after this many steps of this invocation.", valueName: "n")) var stopAfterSteps: Int?
    @Flag(help: "Continue the run in --out from its latest checkpoint, with its stored settings.") var resume = false
    @Flag(help: "Leave out unreadable image files instead of failing.") var skipBad = false
    @OptionGroup var threading: ThreadOptions

    func validate() throws {
        if let resolution, resolution <= 0 { throw ValidationError("--resolution must be positive") }
        if let batchSize, batchSize <= 0 { throw ValidationError("--batch-size must be positive") }
        if let steps, steps <= 0 { throw ValidationError("--steps must be positive") }
        if steps != nil && epochs != nil { throw ValidationError("give --steps or --epochs, not both") }
        if let lr, !(lr > 0) { throw ValidationError("--lr must be positive") }
        if let labelDropout, !(0...1).contains(labelDropout) { throw ValidationError("--label-dropout must be in [0, 1]") }
        if let snrGamma, !(snrGamma >= 0) { throw ValidationError("--snr-gamma must be 0 (off) or positive") }
        if initFrom != nil && unetConfig != nil { throw ValidationError("give --init-from or --unet-config, not both: the model fixes the configuration") }
        if let timeLimit, Terminal.parseDuration(timeLimit) == nil {
            throw ValidationError("--time-limit: cannot read \(timeLimit) (examples: 90m, 2h, 1h30m, 3600)")
        }
        if (evalEvery == nil) != (evalReal == nil) { throw ValidationError("--eval-every and --eval-real go together") }
        if let evalEvery, evalEvery < 1 { throw ValidationError("--eval-every must be positive") }
        if evalSamples < 2 { throw ValidationError("--eval-samples must be at least 2") }
        guard checkpointEvery > 0, keepCheckpoints > 0, logEvery > 0 else {
            throw ValidationError("--checkpoint-every, --keep-checkpoints and --log-every must be positive")
        }
    }

    func run() throws {
        threading.apply()
        // Under mpirun every process runs this command; rank 0 writes the run folder and reports.
        let group = JobLaunch.processGroup()
        if !group.isLead { Terminal.silence() }
        let runFolder = URL(fileURLWithPath: out)
        let existing = RunFolder(runFolder).holdsRun
        group.barrier()   // every process has looked before the lead writes run.json
        do {
            if existing && !resume {
                throw CommandError("\(out) already holds a training run; pass --resume to continue it or choose another --out")
            }
            let setup = existing ? try resumedSetup(runFolder) : try freshSetup(runFolder, writes: group.isLead)
            try train(setup, in: runFolder, group: group)
        } catch let error as CommandError {
            Terminal.error(error.message)
            JobLaunch.abortIfParallel(group, code: 1)
            throw ExitCode.failure
        }
        JobLaunch.finish(group)
    }

    /// Everything a run needs, from the command line or from the run folder.
    struct Setup {
        var settings: RunSettings
        var dataset: ImageFolderDataset
        var unetConfig: UNetConfig
        var schedulerConfig: SchedulerConfig
        var resumed: Bool
        /// The weights a fresh run starts from (`--init-from`).
        var initialWeights: InitialWeights?
    }

    private func loadDataset(_ path: String, resolution: Int, skipBad: Bool, reading: ImageReadOptions) throws -> ImageFolderDataset {
        do {
            let dataset = try ImageFolderDataset.load(root: path, resolution: resolution, skipBad: skipBad,
                                                      maxPixels: PNGDecoder.defaultMaxPixels, reading: reading)
            for issue in dataset.report.problems { Terminal.note("skipped \(issue.path): \(issue.reason)") }
            return dataset
        } catch {
            for issue in error.issues { Terminal.error("\(issue.path): \(issue.reason)") }
            throw CommandError("\(error.path): \(error.reason)")
        }
    }

    /// The setup of a new run from the command line; `writes`: create the run folder (the
    /// lead process of a data-parallel job).
    private func freshSetup(_ runFolder: URL, writes: Bool) throws -> Setup {
        if resume { Terminal.note("\(out) holds no run yet; starting a new one") }
        var config: UNetConfig
        var initialWeights: InitialWeights?
        if let initFrom {
            let weights: InitialWeights
            do { weights = try InitialWeights(path: initFrom) } catch { throw CommandError(error.description) }
            initialWeights = weights
            config = weights.model.unet.config
        } else if let unetConfig {
            do { config = try UNetConfig(contentsOf: URL(fileURLWithPath: unetConfig)) } catch {
                throw CommandError(error.description)
            }
            for key in config.ignoredKeys { Terminal.note("\(unetConfig): ignoring \"\(key)\" (it does not change the model)") }
        } else {
            config = UNetConfig(preset: preset ?? .tiny)
        }
        let side = resolution ?? config.sampleSize
        guard side % config.downsamplingFactor == 0 else {
            throw CommandError("--resolution \(side) is not a multiple of \(config.downsamplingFactor), the U-Net's downsampling factor")
        }
        config.sampleSize = side
        let dataset = try loadDataset(data, resolution: side, skipBad: skipBad, reading: reading.options)
        let classes = dataset.isLabeled ? dataset.classNames.count : 0
        if let initialWeights {
            do {
                config = try initialWeights.configuration(resolution: side, classNames: classes >= 2 ? dataset.classNames : [])
            } catch { throw CommandError(error.description) }
        } else if unetConfig == nil && classes >= 2 {
            config.numClassEmbeds = classes + 1
        }

        var options = TrainingOptions()
        options.batchSize = batchSize ?? options.batchSize
        options.learningRate = lr ?? DefaultRecipe.learningRate
        options.warmupSteps = warmupSteps ?? options.warmupSteps
        options.schedule = lrSchedule ?? options.schedule
        if let epochs {
            options.steps = TrainingOptions.steps(epochs: epochs, imageCount: dataset.count, batchSize: options.batchSize)
        } else {
            options.steps = steps ?? options.steps
        }
        options.emaMaxDecay = emaDecay ?? options.emaMaxDecay
        if let gradClip { options.gradientClip = gradClip > 0 ? gradClip : nil }
        options.seed = seed ?? options.seed
        options.horizontalFlip = hflip
        options.labelDropout = labelDropout ?? options.labelDropout
        options.skipNonFinite = skipNonfinite ?? options.skipNonFinite
        let gamma = snrGamma ?? DefaultRecipe.snrGamma
        options.snrGamma = gamma > 0 ? gamma : nil
        options.privacy = try privacy.plan(datasetSize: dataset.count, batchSize: options.batchSize, steps: options.steps)

        var scheduler = SchedulerConfig(kind: .ddpm)
        scheduler.predictionType = predictionType
            ?? initialWeights?.model.schedulerConfig?.predictionType ?? DefaultRecipe.predictionType
        let settings = RunSettings(data: data, resolution: side, skipBad: skipBad, reading: reading.options, options: options,
                                   classNames: classes >= 2 ? dataset.classNames : [],
                                   bitDepth: dataset.bitDepth.rawValue, initFrom: initFrom)
        guard writes else {
            return Setup(settings: settings, dataset: dataset, unetConfig: config, schedulerConfig: scheduler, resumed: false,
                         initialWeights: initialWeights)
        }
        do {
            try RunFolder(runFolder).start(settings: settings, unetConfig: config, schedulerConfig: scheduler)
        } catch {
            throw CommandError(error.description)
        }
        return Setup(settings: settings, dataset: dataset, unetConfig: config, schedulerConfig: scheduler, resumed: false,
                     initialWeights: initialWeights)
    }

    private func resumedSetup(_ runFolder: URL) throws -> Setup {
        let folder = RunFolder(runFolder)
        let settings: RunSettings
        let config: UNetConfig
        let scheduler: SchedulerConfig
        do {
            (settings, config, scheduler) = try folder.load()
        } catch {
            throw CommandError(error.description)
        }
        let ignored = ignoredOnResume()
        if !ignored.isEmpty {
            Terminal.note("resuming with the settings stored in \(folder.settingsFile.path); "
                          + "these options given now are ignored: \(ignored.joined(separator: ", "))")
        }
        if URL(fileURLWithPath: data).standardizedFileURL != URL(fileURLWithPath: settings.data).standardizedFileURL {
            Terminal.note("resuming on the data stored in \(folder.settingsFile.path), \(settings.data), not on \(data)")
        }
        let dataset = try loadDataset(settings.data, resolution: settings.resolution, skipBad: settings.skipBad,
                                      reading: settings.readOptions)
        return Setup(settings: settings, dataset: dataset, unetConfig: config, schedulerConfig: scheduler, resumed: true,
                     initialWeights: nil)
    }

    /// The options given now that a resumed run overrides with its stored settings
    /// (`run.json`, `unet_config.json`, `scheduler_config.json`), as spelt on the command
    /// line. The options of this invocation only — checkpoints, logging, sample grids,
    /// evaluation, the time limit, threads — apply on resume as on a fresh run.
    private func ignoredOnResume() -> [String] {
        let given: [(Bool, String)] = [
            (preset != nil, "--preset"), (unetConfig != nil, "--unet-config"), (initFrom != nil, "--init-from"),
            (resolution != nil, "--resolution"), (batchSize != nil, "--batch-size"), (lr != nil, "--lr"),
            (warmupSteps != nil, "--warmup-steps"), (lrSchedule != nil, "--lr-schedule"), (steps != nil, "--steps"),
            (epochs != nil, "--epochs"), (emaDecay != nil, "--ema-decay"), (gradClip != nil, "--grad-clip"),
            (predictionType != nil, "--prediction-type"), (snrGamma != nil, "--snr-gamma"), (seed != nil, "--seed"),
            (hflip, "--hflip"), (labelDropout != nil, "--label-dropout"), (skipNonfinite != nil, "--skip-nonfinite"),
            (skipBad, "--skip-bad"),
            (privacy.epsilon != nil, "--dp-epsilon"), (privacy.delta != nil, "--dp-delta"),
            (privacy.noiseMultiplier != nil, "--dp-noise-multiplier"), (privacy.maxGradNorm != nil, "--dp-max-grad-norm"),
            (privacy.noiseDraws != nil, "--dp-noise-draws"),
        ]
        return given.filter(\.0).map(\.1) + reading.given
    }

    private func train(_ setup: Setup, in runFolder: URL, group: ProcessGroup) throws {
        if group.isLead { try RunLock.acquire(runFolder) }
        let settings = setup.settings
        let unet = UNet2D(config: setup.unetConfig)
        unet.initializeParameters(seed: settings.options.seed)
        if let initialWeights = setup.initialWeights {
            initialWeights.copy(into: unet)
            Terminal.say("starting from the weights of \(initialWeights.path)")
        }
        let trainer: Trainer
        do {
            trainer = try Trainer(unet: unet, images: setup.dataset,
                                  schedule: setup.schedulerConfig.noiseSchedule, options: settings.options, group: group)
        } catch {
            throw CommandError(error.description)
        }
        var plan = TrainingRun.Plan()
        plan.checkpointEvery = checkpointEvery
        plan.keepCheckpoints = keepCheckpoints
        plan.logEvery = logEvery
        plan.sampleEvery = sampleEvery
        plan.timeLimit = timeLimit.flatMap(Terminal.parseDuration)
        plan.stopAfterSteps = stopAfterSteps
        plan.evaluateEvery = evalEvery
        plan.evaluationSamplesPerClass = evalSamples
        let evaluator = group.isLead ? try makeEvaluator(settings) : nil
        let info = ModelInfo(classNames: settings.classNames, nullClass: trainer.nullClass,
                             bitDepth: settings.bitDepth, resolution: settings.resolution)
        let run = TrainingRun(trainer: trainer, folder: runFolder, plan: plan,
                              schedulerConfig: setup.schedulerConfig, info: info)
        if setup.resumed {
            do {
                if let step = try run.resumeFromLatestCheckpoint() {
                    Terminal.say("resuming \(out) at step \(step) of \(settings.options.steps)")
                } else {
                    Terminal.note("no checkpoint in \(out) yet; starting from step 0")
                }
            } catch {
                throw CommandError(error.description)
            }
        }
        let parameters = unet.namedParameters.reduce(0) { $0 + $1.parameter.value.count }
        Terminal.say("""
            training \(setup.unetConfig.blockOutChannels) U-Net (\(String(format: "%.2f", Double(parameters) / 1e6)) M parameters) \
            on \(setup.dataset.count) images at \(settings.resolution)x\(settings.resolution)\
            \(settings.classNames.isEmpty ? "" : ", \(settings.classNames.count) classes"), \
            batch \(settings.options.batchSize), \(settings.options.steps) steps, \(Parallel.workerCount) threads\
            \(group.size > 1 ? " in each of \(group.size) processes (MPI)" : "")
            """)
        if let dp = settings.options.privacy {
            let guarantee = DPSGDGuarantee(options: dp, steps: settings.options.steps)
            Terminal.say("""
                DP-SGD: Poisson batches (q = \(String(format: "%.4g", dp.sampleRate))), per-image gradients clipped to \(dp.maxGradNorm), \
                noise multiplier \(String(format: "%.4g", dp.noiseMultiplier)), \(dp.noiseDraws) draw(s) per image; \
                after \(settings.options.steps) steps: ε = \(String(format: "%.3g", guarantee.epsilon)) at δ = \(String(format: "%.3g", dp.delta)) (\(dp.accountant.rawValue.uppercased()) accountant)
                """)
        }
        let progress = TrainingProgress(totalSteps: settings.options.steps, batchSize: settings.options.batchSize, logEvery: logEvery)
        InterruptFlag.install()
        let outcome: TrainingRun.Outcome
        do {
            outcome = try run.run(
                shouldStop: { InterruptFlag.isRaised },
                onStep: { report, rate in progress.update(report, imagesPerSecond: rate) },
                onEvaluate: evaluator.map { evaluator in
                    { images, labels, step in
                        let metrics = evaluator.evaluate(samples: LabeledImages(samples: images, labels: labels ?? [], bitDepth: settings.bitDepth))
                        Terminal.note("step \(step): " + metrics.sorted { $0.key < $1.key }
                            .map { "\($0.key.dropFirst(5)) \(String(format: "%.3f", $0.value))" }.joined(separator: ", "))
                        return metrics
                    }
                })
        } catch {
            Terminal.endProgress()
            throw CommandError(error.description)
        }
        Terminal.endProgress()
        switch outcome {
        case .finished:
            Terminal.say("done: \(settings.options.steps) steps; the EMA model is in \(run.modelFolder.path)")
        case .stopped(let reason):
            Terminal.say("\(reason); checkpoint saved. Continue with: phantom train \(settings.data) --out \(out) --resume")
        }
    }

    /// The evaluator of `--eval-every`, which trains or loads the feature network now.
    private func makeEvaluator(_ settings: RunSettings) throws -> TrainingEvaluator? {
        guard evalEvery != nil, let evalReal else { return nil }
        guard settings.classNames.count >= 2 else {
            throw CommandError("--eval-every needs class folders in \(settings.data): the feature network is a classifier")
        }
        do {
            let evaluator = try TrainingEvaluator(
                train: settings.data, real: evalReal, side: settings.resolution, classNames: settings.classNames,
                reading: settings.readOptions,
                cacheDirectory: FeatureNetworkCache.defaultDirectory) { step, total in
                Terminal.progress("training the evaluation's feature network: \(Terminal.bar(Double(step) / Double(total))) \(step)/\(total)")
            }
            Terminal.endProgress()
            return evaluator
        } catch {
            Terminal.endProgress()
            throw CommandError(error.description)
        }
    }
}

/// A failure the command reports as `error: <message>` before exiting non-zero.
struct CommandError: Error {
    let message: String
    init(_ message: String) { self.message = message }
}
