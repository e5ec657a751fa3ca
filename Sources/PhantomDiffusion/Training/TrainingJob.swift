import Foundation
import PhantomImaging
import PhantomPrivacy
import PhantomTensor

/// A whole training run, `phantom train DATA --out RUN [--resume]`, as one call.
///
/// Stages:
/// 1. A new run: choose the U-Net (a preset, a `config.json`, or a model folder's weights
///    with ``InitialWeights``), load the images, give a conditional model one class
///    embedding per class plus the null class, settle the options (steps from epochs, the
///    DP-SGD noise for the planned steps) and write the run's records (``RunFolder/start``).
///    A resumed run: read the records back and load the images they name; every model, data
///    and optimizer setting comes from them.
/// 2. Lock the run folder, so two trainers never write one run.
/// 3. Build the ``Trainer`` and the ``TrainingRun``; a resumed run loads its latest checkpoint.
/// 4. Train until the plan, the time limit or `shouldStop` ends it.
///
/// Under MPI every process calls it; the lead writes the run folder and reports the steps.
public enum TrainingJob {
    /// Where a new run's U-Net comes from.
    public enum ModelSource: Sendable, Equatable {
        /// A named configuration (``UNetConfig/Preset``).
        case preset(UNetConfig.Preset)
        /// A diffusers `UNet2DModel` `config.json`.
        case configFile(String)
        /// A model folder's weights and configuration, with a fresh optimizer and schedule.
        case weights(String)
        /// The same, with new class embeddings for the data's classes (any number, any names).
        case weightsWithNewClasses(String)

        var newClasses: Bool { if case .weightsWithNewClasses = self { true } else { false } }
    }

    /// The DP-SGD settings asked for; ``DPSGDOptions/plan(targetEpsilon:noiseMultiplier:delta:maxGradNorm:noiseDraws:datasetSize:expectedBatchSize:steps:accountant:)``
    /// turns them into a run's once the image count and the steps are known.
    public struct PrivacyRequest: Sendable, Equatable {
        public var targetEpsilon: Double?
        public var noiseMultiplier: Double?
        /// δ, by default 1/(10·N) for N images.
        public var delta: Double?
        public var maxGradNorm = 1.0
        public var noiseDraws = 1
        public var accountant: DPSGDOptions.Accountant?

        public init() {}
    }

    /// What to train. A resumed run ignores everything but `data` (compared, for a note),
    /// `out` and `plan`.
    public struct Request: Sendable {
        /// The image folder.
        public var data: String
        /// The run folder.
        public var out: String
        /// Continue the run in `out` if it holds one (else start one); without it, a run
        /// folder that already holds a run is refused.
        public var resume = false
        public var model: ModelSource = .preset(.tiny)
        /// The image side (default: the model's `sample_size`).
        public var resolution: Int?
        /// The optimisation settings: ``TrainingOptions`` with ``DefaultRecipe``'s learning
        /// rate and min-SNR-γ. `steps` is replaced when ``epochs`` is given, `privacy` by ``privacy``'s plan.
        public var options: TrainingOptions
        /// Epochs instead of `options.steps`.
        public var epochs: Double?
        /// What the model predicts (default: the `.weights` model's, else ``DefaultRecipe/predictionType``).
        public var predictionType: PredictionType?
        public var privacy: PrivacyRequest?
        /// Leave out unreadable images instead of failing.
        public var skipBad = false
        public var reading = ImageReadOptions()
        /// Checkpoints, logging, sample grids, evaluation and stopping: apply to a resumed run too.
        public var plan = TrainingRun.Plan()

        public init(data: String, out: String) {
            self.data = data
            self.out = out
            options = TrainingOptions()
            options.learningRate = DefaultRecipe.learningRate
            options.snrGamma = DefaultRecipe.snrGamma
        }
    }

    /// What a run reports while it works (the lead process's reports; others stay silent).
    public enum Event: Sendable {
        /// Something the user should know that does not stop the run (a skipped file, an ignored key).
        case note(String)
        /// An unreadable image that stops the run (reported before the run's error).
        case unreadable(path: String, reason: String)
        /// A run is being resumed with the settings stored in this file (`run.json`), not the request's.
        case resuming(settingsFile: String)
        /// The run is about to train: its settings, model and where it starts.
        case starting(Start)
        /// A step was taken, at this smoothed rate.
        case step(StepReport, imagesPerSecond: Double)
        /// The evaluation of ``TrainingRun/Plan/evaluateEvery`` scored the EMA's samples at
        /// `step` (the metrics also appended to `metrics.jsonl`).
        case evaluated(step: Int, metrics: [String: Double])
    }

    /// How a run starts (``Event/starting(_:)``).
    public struct Start: Sendable {
        public let settings: RunSettings
        public let unetConfig: UNetConfig
        public let imageCount: Int
        public let parameterCount: Int
        /// The model folder a new run took its weights from.
        public let initialWeights: String?
        /// Whether the run was resumed, and the step of the checkpoint it continues from (nil
        /// when it has none yet, so it starts from step 0).
        public let resumed: Bool
        public let resumedAt: Int?
    }

    /// How a run ended.
    public struct Result: Sendable {
        public let outcome: TrainingRun.Outcome
        public let settings: RunSettings
        /// The run's EMA model folder.
        public let modelFolder: URL
    }

    /// Makes the per-`evaluateEvery` evaluation of a run once its settings are known (nil:
    /// none). The evaluation takes the EMA's samples `[n, 1, H, W]` in [-1, 1] and their
    /// labels (nil for an unconditional model), and returns the metrics to log.
    public typealias EvaluatorFactory = (RunSettings) throws -> ((Tensor, [Int]?) -> [String: Double])?

    /// Runs `request` as process `group.rank` of `group.size`.
    ///
    /// - Parameters:
    ///   - shouldStop: polled after every step; true checkpoints and stops (Ctrl-C).
    ///   - makeEvaluator: called on the lead once the settings are known.
    /// - Throws: ``TrainingError`` naming the file and the reason; what `makeEvaluator` throws.
    public static func run(_ request: Request, group: ProcessGroup = SingleProcess(), shouldStop: () -> Bool = { false },
                           makeEvaluator: EvaluatorFactory = { _ in nil },
                           onEvent: (Event) -> Void = { _ in }) throws -> Result {
        // 1. The run's setup, new or resumed.
        let runFolder = RunFolder(URL(fileURLWithPath: request.out))
        let existing = runFolder.holdsRun
        group.barrier()   // every process has looked before the lead writes run.json
        if existing && !request.resume {
            throw TrainingError.invalid("\(request.out) already holds a training run; pass --resume to continue it or choose another --out")
        }
        if request.resume && !existing { onEvent(.note("\(request.out) holds no run yet; starting a new one")) }
        let setup = existing
            ? try Setup.resumed(runFolder, data: request.data, onEvent: onEvent)
            : try Setup.fresh(request, onEvent: onEvent)

        // 2. Trainer and evaluation, so that a run refused here writes nothing.
        let settings = setup.settings
        let unet = UNet2D(config: setup.unetConfig)
        unet.initializeParameters(seed: settings.options.seed)
        setup.initialWeights?.copy(into: unet, newClasses: settings.initNewClasses == true)
        let trainer = try Trainer(unet: unet, images: setup.dataset, schedule: setup.schedulerConfig.noiseSchedule,
                                  options: settings.options, group: group)
        let evaluator = group.isLead ? try makeEvaluator(settings) : nil

        // 3. A new run's records, and the lock, held to the end of the run.
        if !existing && group.isLead {
            try runFolder.start(settings: settings, unetConfig: setup.unetConfig, schedulerConfig: setup.schedulerConfig)
        }
        let lock = group.isLead ? try runFolder.lock() : nil
        defer { withExtendedLifetime(lock) {} }
        let info = ModelInfo(classNames: settings.classNames, nullClass: trainer.nullClass,
                             bitDepth: settings.bitDepth, resolution: settings.resolution)
        let run = TrainingRun(trainer: trainer, folder: runFolder.url, plan: request.plan,
                              schedulerConfig: setup.schedulerConfig, info: info)
        let resumedAt = existing ? try run.resumeFromLatestCheckpoint() : nil
        onEvent(.starting(Start(settings: settings, unetConfig: setup.unetConfig, imageCount: setup.dataset.count,
                                parameterCount: unet.namedParameters.reduce(0) { $0 + $1.parameter.value.count },
                                initialWeights: setup.initialWeights?.path, resumed: existing, resumedAt: resumedAt)))

        // 4. Train.
        let outcome = try withoutActuallyEscaping(onEvent) { onEvent in
            let evaluate = evaluator.map { evaluator in
                { (images: Tensor, labels: [Int]?, step: Int) -> [String: Double] in
                    let metrics = evaluator(images, labels)
                    onEvent(.evaluated(step: step, metrics: metrics))
                    return metrics
                }
            }
            return try run.run(shouldStop: shouldStop, onStep: { onEvent(.step($0, imagesPerSecond: $1)) },
                               onEvaluate: evaluate)
        }
        return Result(outcome: outcome, settings: settings, modelFolder: run.modelFolder)
    }

    /// Everything a run needs, from the request or from the run folder.
    struct Setup {
        var settings: RunSettings
        var dataset: ImageFolderDataset
        var unetConfig: UNetConfig
        var schedulerConfig: SchedulerConfig
        /// The weights a new run starts from.
        var initialWeights: InitialWeights?

        /// A new run's setup (its records are written by the caller once the run can start).
        static func fresh(_ request: Request, onEvent: (Event) -> Void) throws(TrainingError) -> Setup {
            var config: UNetConfig
            var initialWeights: InitialWeights?
            let newClasses = request.model.newClasses
            switch request.model {
            case .weights(let path), .weightsWithNewClasses(let path):
                do { initialWeights = try InitialWeights(path: path) } catch { throw .io(path: error.path, reason: error.reason) }
                config = initialWeights!.model.unet.config
            case .configFile(let path):
                do { config = try UNetConfig(contentsOf: URL(fileURLWithPath: path)) } catch { throw .invalid(error.description) }
                for key in config.ignoredKeys { onEvent(.note("\(path): ignoring \"\(key)\" (it does not change the model)")) }
            case .preset(let preset):
                config = UNetConfig(preset: preset)
            }
            let side = request.resolution ?? config.sampleSize
            guard side % config.downsamplingFactor == 0 else {
                throw .invalid("--resolution \(side) is not a multiple of \(config.downsamplingFactor), the U-Net's downsampling factor")
            }
            config.sampleSize = side
            let dataset = try load(request.data, resolution: side, skipBad: request.skipBad, reading: request.reading, onEvent: onEvent)
            let classNames = dataset.isLabeled && dataset.classNames.count >= 2 ? dataset.classNames : []
            if let initialWeights {
                do { config = try initialWeights.configuration(resolution: side, classNames: classNames, newClasses: newClasses) } catch {
                    throw .invalid(error.description)
                }
            } else if case .preset = request.model, !classNames.isEmpty {
                config.numClassEmbeds = classNames.count + 1
            }

            var options = request.options
            if let epochs = request.epochs {
                options.steps = TrainingOptions.steps(epochs: epochs, imageCount: dataset.count, batchSize: options.batchSize)
            }
            if let privacy = request.privacy {
                do {
                    options.privacy = try DPSGDOptions.plan(
                        targetEpsilon: privacy.targetEpsilon, noiseMultiplier: privacy.noiseMultiplier, delta: privacy.delta,
                        maxGradNorm: privacy.maxGradNorm, noiseDraws: privacy.noiseDraws, datasetSize: dataset.count,
                        expectedBatchSize: options.batchSize, steps: options.steps, accountant: privacy.accountant)
                } catch {
                    throw .invalid("DP-SGD: \(error)")
                }
            }
            var scheduler = SchedulerConfig(kind: .ddpm)
            scheduler.predictionType = request.predictionType
                ?? initialWeights?.model.schedulerConfig?.predictionType ?? DefaultRecipe.predictionType
            let settings = RunSettings(data: request.data, resolution: side, skipBad: request.skipBad, reading: request.reading,
                                       options: options, classNames: classNames, bitDepth: dataset.bitDepth.rawValue,
                                       initFrom: initialWeights?.path, initNewClasses: newClasses ? true : nil)
            return Setup(settings: settings, dataset: dataset, unetConfig: config, schedulerConfig: scheduler,
                         initialWeights: initialWeights)
        }

        /// A resumed run's setup from its records; `data` is only compared with the stored folder.
        static func resumed(_ folder: RunFolder, data: String, onEvent: (Event) -> Void) throws(TrainingError) -> Setup {
            let (settings, config, scheduler) = try folder.load()
            onEvent(.resuming(settingsFile: folder.settingsFile.path))
            if URL(fileURLWithPath: data).standardizedFileURL != URL(fileURLWithPath: settings.data).standardizedFileURL {
                onEvent(.note("resuming on the data stored in \(folder.settingsFile.path), \(settings.data), not on \(data)"))
            }
            let dataset = try load(settings.data, resolution: settings.resolution, skipBad: settings.skipBad,
                                   reading: settings.readOptions, onEvent: onEvent)
            return Setup(settings: settings, dataset: dataset, unetConfig: config, schedulerConfig: scheduler, initialWeights: nil)
        }

        private static func load(_ path: String, resolution: Int, skipBad: Bool, reading: ImageReadOptions,
                                 onEvent: (Event) -> Void) throws(TrainingError) -> ImageFolderDataset {
            do {
                let dataset = try ImageFolderDataset.load(root: path, resolution: resolution, skipBad: skipBad,
                                                          maxPixels: PNGDecoder.defaultMaxPixels, reading: reading)
                for issue in dataset.report.problems { onEvent(.note("skipped \(issue.path): \(issue.reason)")) }
                return dataset
            } catch {
                for issue in error.issues { onEvent(.unreadable(path: issue.path, reason: issue.reason)) }
                throw .io(path: error.path, reason: error.reason)
            }
        }
    }
}
