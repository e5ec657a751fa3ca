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
    @Flag(help: "With --init-from: give the data's classes new class embeddings (any number, any names) and keep every other weight.")
    var initNewClasses = false
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
    @Option(help: ArgumentHelp("Class balance α in [0, 1]: each epoch gives a class slots in proportion to (its image count)^(1−α), so rare classes come round more often; 1 visits every class equally, 0 (default) as the data has them. Not with DP-SGD.",
                               valueName: "alpha"))
    var classBalance: Double?
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
        if initNewClasses && initFrom == nil { throw ValidationError("--init-new-classes goes with --init-from") }
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
        var progress: TrainingProgress?
        let result: TrainingJob.Result
        do {
            result = try TrainingJob.run(request(), group: group, shouldStop: { InterruptFlag.isRaised },
                                         makeEvaluator: evaluator) { event in
                switch event {
                case .starting(let start):
                    describe(start, processes: group.size)
                    InterruptFlag.install()   // from here Ctrl-C checkpoints and stops; before, it quits
                    progress = TrainingProgress(totalSteps: start.settings.options.steps,
                                                batchSize: start.settings.options.batchSize, logEvery: logEvery)
                case let .step(report, rate):
                    progress?.update(report, imagesPerSecond: rate)
                default:
                    report(event)
                }
            }
        } catch {
            Terminal.endProgress()
            Terminal.error((error as? CommandError)?.message ?? "\(error)")
            JobLaunch.abortIfParallel(group, code: 1)
            throw ExitCode.failure
        }
        Terminal.endProgress()
        switch result.outcome {
        case .finished:
            Terminal.say("done: \(result.settings.options.steps) steps; the EMA model is in \(result.modelFolder.path)")
        case .stopped(let reason):
            Terminal.say("\(reason); checkpoint saved. Continue with: phantom train \(result.settings.data) --out \(out) --resume")
        }
        JobLaunch.finish(group)
    }

    /// The library request the options spell.
    private func request() -> TrainingJob.Request {
        var request = TrainingJob.Request(data: data, out: out)
        request.resume = resume
        request.model = initFrom.map { initNewClasses ? .weightsWithNewClasses($0) : .weights($0) }
            ?? unetConfig.map { .configFile($0) } ?? .preset(preset ?? .tiny)
        request.resolution = resolution
        var options = request.options
        options.batchSize = batchSize ?? options.batchSize
        options.learningRate = lr ?? options.learningRate
        options.warmupSteps = warmupSteps ?? options.warmupSteps
        options.schedule = lrSchedule ?? options.schedule
        options.steps = steps ?? options.steps
        options.emaMaxDecay = emaDecay ?? options.emaMaxDecay
        if let gradClip { options.gradientClip = gradClip > 0 ? gradClip : nil }
        options.seed = seed ?? options.seed
        options.horizontalFlip = hflip
        options.labelDropout = labelDropout ?? options.labelDropout
        options.skipNonFinite = skipNonfinite ?? options.skipNonFinite
        if let snrGamma { options.snrGamma = snrGamma }
        options.classBalance = classBalance ?? options.classBalance
        request.options = options
        request.epochs = epochs
        request.predictionType = predictionType
        request.privacy = privacy.request
        request.skipBad = skipBad
        request.reading = reading.options
        request.plan.checkpointEvery = checkpointEvery
        request.plan.keepCheckpoints = keepCheckpoints
        request.plan.logEvery = logEvery
        request.plan.sampleEvery = sampleEvery
        request.plan.timeLimit = timeLimit.flatMap(Terminal.parseDuration)
        request.plan.stopAfterSteps = stopAfterSteps
        request.plan.evaluateEvery = evalEvery
        request.plan.evaluationSamplesPerClass = evalSamples
        return request
    }

    /// Prints the run's notes.
    private func report(_ event: TrainingJob.Event) {
        switch event {
        case .note(let text):
            Terminal.note(text)
        case let .unreadable(path, reason):
            Terminal.error("\(path): \(reason)")
        case .resuming(let settingsFile):
            let ignored = ignoredOnResume()
            if !ignored.isEmpty {
                Terminal.note("resuming with the settings stored in \(settingsFile); "
                              + "these options given now are ignored: \(ignored.joined(separator: ", "))")
            }
        case let .evaluated(step, metrics):
            Terminal.note("step \(step): " + metrics.sorted { $0.key < $1.key }
                .map { "\(TrainingEvaluator.displayName(ofMetric: $0.key)) \(String(format: "%.3f", $0.value))" }.joined(separator: ", "))
        case .starting, .step:
            break
        }
    }

    /// Says what is about to be trained, and from where.
    private func describe(_ start: TrainingJob.Start, processes: Int) {
        let settings = start.settings
        if let path = start.initialWeights { Terminal.say("starting from the weights of \(path)") }
        if start.resumed {
            if let step = start.resumedAt {
                Terminal.say("resuming \(out) at step \(step) of \(settings.options.steps)")
            } else {
                Terminal.note("no checkpoint in \(out) yet; starting from step 0")
            }
        }
        Terminal.say("""
            training \(start.unetConfig.blockOutChannels) U-Net (\(String(format: "%.2f", Double(start.parameterCount) / 1e6)) M parameters) \
            on \(start.imageCount) images at \(settings.resolution)x\(settings.resolution)\
            \(settings.classNames.isEmpty ? "" : ", \(settings.classNames.count) classes"), \
            batch \(settings.options.batchSize), \(settings.options.steps) steps, \(Parallel.workerCount) threads\
            \(processes > 1 ? " in each of \(processes) processes (MPI)" : "")
            """)
        if let dp = settings.options.privacy {
            let guarantee = DPSGDGuarantee(options: dp, steps: settings.options.steps)
            Terminal.say("""
                DP-SGD: Poisson batches (q = \(String(format: "%.4g", dp.sampleRate))), per-image gradients clipped to \(dp.maxGradNorm), \
                noise multiplier \(String(format: "%.4g", dp.noiseMultiplier)), \(dp.noiseDraws) draw(s) per image; \
                after \(settings.options.steps) steps: ε = \(String(format: "%.3g", guarantee.epsilon)) at δ = \(String(format: "%.3g", dp.delta)) (\(dp.accountant.rawValue.uppercased()) accountant)
                """)
        }
    }

    /// The options given now that a resumed run overrides with its stored settings
    /// (`run.json`, `unet_config.json`, `scheduler_config.json`), as spelt on the command
    /// line. The options of this invocation only — checkpoints, logging, sample grids,
    /// evaluation, the time limit, threads — apply on resume as on a fresh run.
    private func ignoredOnResume() -> [String] {
        let given: [(Bool, String)] = [
            (preset != nil, "--preset"), (unetConfig != nil, "--unet-config"), (initFrom != nil, "--init-from"), (initNewClasses, "--init-new-classes"),
            (resolution != nil, "--resolution"), (batchSize != nil, "--batch-size"), (lr != nil, "--lr"),
            (warmupSteps != nil, "--warmup-steps"), (lrSchedule != nil, "--lr-schedule"), (steps != nil, "--steps"),
            (epochs != nil, "--epochs"), (emaDecay != nil, "--ema-decay"), (gradClip != nil, "--grad-clip"),
            (predictionType != nil, "--prediction-type"), (snrGamma != nil, "--snr-gamma"), (seed != nil, "--seed"),
            (hflip, "--hflip"), (labelDropout != nil, "--label-dropout"), (classBalance != nil, "--class-balance"),
            (skipNonfinite != nil, "--skip-nonfinite"),
            (skipBad, "--skip-bad"),
            (privacy.epsilon != nil, "--dp-epsilon"), (privacy.delta != nil, "--dp-delta"),
            (privacy.noiseMultiplier != nil, "--dp-noise-multiplier"), (privacy.maxGradNorm != nil, "--dp-max-grad-norm"),
            (privacy.noiseDraws != nil, "--dp-noise-draws"),
        ]
        return given.filter(\.0).map(\.1) + reading.given
    }

    /// The evaluation of `--eval-every` (the library's; this adds the feature network's
    /// training progress).
    private var evaluator: TrainingJob.EvaluatorFactory {
        guard evalEvery != nil, let evalReal else { return { _ in nil } }
        let factory = TrainingEvaluator.factory(real: evalReal) { step, total in
            Terminal.progress("training the evaluation's feature network: \(Terminal.bar(Double(step) / Double(total))) \(step)/\(total)")
        }
        return { settings in
            defer { Terminal.endProgress() }
            return try factory(settings)
        }
    }
}

/// A failure the command reports as `error: <message>` before exiting non-zero.
struct CommandError: Error {
    let message: String
    init(_ message: String) { self.message = message }
}
