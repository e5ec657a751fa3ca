import Foundation
import PhantomImaging
import PhantomSafetensors

/// A training run folder: its layout, and the record a run keeps of how it was started so
/// that a resumed run (``TrainingRun``, `phantom train --resume`) continues exactly.
///
///     RUN/run.json                 RunSettings: data, resolution, reading options, TrainingOptions, classes
///     RUN/unet_config.json         the U-Net (diffusers' keys)
///     RUN/scheduler_config.json    the noise schedule and prediction type
///     RUN/checkpoints/step-N/      TrainingRun: weights, optimizer, EMA and state (Checkpoint)
///     RUN/model/                   TrainingRun: the latest EMA model, diffusers' layout (ModelFolder)
///     RUN/metrics.jsonl            TrainingRun: one JSON line per logged step
///     RUN/samples/step-N.png       TrainingRun: a grid of EMA samples every `sampleEvery` steps
///
/// ``start(settings:unetConfig:schedulerConfig:)`` writes the three records once, when a run
/// begins; ``TrainingRun`` writes everything else as it trains.
///
/// **On resume** the three records win: every option they hold (the data folder and how it
/// is read, the model, the schedule, batch size, learning rate and schedule, steps, EMA,
/// clipping, DP-SGD, seed) is read back, and the same option given again is ignored (`phantom
/// train` names each one it ignores). What steers one invocation only — checkpoint, log,
/// sample and evaluation cadence, the time limit, threads — applies as given.
public struct RunFolder: Sendable {
    /// The run folder.
    public let url: URL

    public init(_ url: URL) { self.url = url }

    /// `run.json`: the ``RunSettings``.
    public var settingsFile: URL { url.appendingPathComponent("run.json") }
    /// `unet_config.json`.
    public var unetConfigFile: URL { url.appendingPathComponent("unet_config.json") }
    /// `scheduler_config.json`.
    public var schedulerConfigFile: URL { url.appendingPathComponent("scheduler_config.json") }
    /// `checkpoints/`, one `step-N` folder per checkpoint.
    public var checkpoints: URL { url.appendingPathComponent("checkpoints") }
    /// `model/`, the latest EMA model.
    public var model: URL { url.appendingPathComponent("model") }
    /// `metrics.jsonl`.
    public var metrics: URL { url.appendingPathComponent("metrics.jsonl") }
    /// `samples/step-N.png`, the sample grid after step `step` (N zero-padded to 8 digits).
    public func sampleGrid(step: Int) -> URL {
        url.appendingPathComponent("samples").appendingPathComponent(String(format: "step-%08d.png", step))
    }

    /// True when the folder holds a started run (its `run.json`).
    public var holdsRun: Bool { FileManager.default.fileExists(atPath: settingsFile.path) }

    /// Takes an exclusive lock on the run (`.lock` in the folder, `flock`), so that two
    /// trainers never write one run. The lock is held until the returned ``Lock`` is released
    /// (or the process exits).
    ///
    /// - Throws: ``TrainingError/io(path:reason:)`` when the lock file cannot be made, or
    ///   ``TrainingError/invalid(_:)`` when another holder has the lock.
    public func lock() throws(TrainingError) -> Lock {
        let path = url.appendingPathComponent(".lock").path
        let descriptor = open(path, O_CREAT | O_RDWR | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else {
            throw .io(path: path, reason: "cannot create the run lock (\(String(cString: strerror(errno))))")
        }
        guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else {
            close(descriptor)
            throw .invalid("\(url.path) is being trained by another process (its lock \(path) is held)")
        }
        return Lock(descriptor: descriptor)
    }

    /// A held run lock (``lock()``), released when it is deallocated.
    public final class Lock {
        private let descriptor: Int32
        init(descriptor: Int32) { self.descriptor = descriptor }
        deinit { close(descriptor) }
    }

    /// Creates the folder and writes the run's records: the two configs, then `run.json`
    /// (atomically, last, so that its presence means a complete start).
    ///
    /// - Throws: ``TrainingError/io(path:reason:)`` naming the file that could not be written.
    public func start(settings: RunSettings, unetConfig: UNetConfig, schedulerConfig: SchedulerConfig) throws(TrainingError) {
        var file = url
        do {
            try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
            file = unetConfigFile
            try unetConfig.jsonData().write(to: file, options: .atomic)
            file = schedulerConfigFile
            try schedulerConfig.jsonData().write(to: file, options: .atomic)
            file = settingsFile
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            try encoder.encode(settings).write(to: file, options: .atomic)
        } catch {
            throw .io(path: file.path, reason: "cannot write (\(fileErrorReason(error, path: file)))")
        }
    }

    /// The records of a started run.
    ///
    /// - Throws: ``TrainingError/io(path:reason:)`` naming the record that is missing or unreadable.
    public func load() throws(TrainingError) -> (settings: RunSettings, unetConfig: UNetConfig, schedulerConfig: SchedulerConfig) {
        let settings: RunSettings
        do {
            settings = try JSONDecoder().decode(RunSettings.self, from: Data(contentsOf: settingsFile))
        } catch {
            throw .io(path: settingsFile.path, reason: "cannot read the run's settings (\(fileErrorReason(error)))")
        }
        do {
            return (settings, try UNetConfig(contentsOf: unetConfigFile), try SchedulerConfig(contentsOf: schedulerConfigFile))
        } catch {
            throw .io(path: url.path, reason: "cannot read the run's configs (\(error))")
        }
    }
}

/// How a run was started, as `run.json` records it (``RunFolder``).
public struct RunSettings: Codable, Sendable, Equatable {
    /// The image folder trained on, as given.
    public var data: String
    /// The side images are resized to.
    public var resolution: Int
    /// Whether unreadable files were left out.
    public var skipBad: Bool
    /// How DICOM, NIfTI and slide files were read (nil in runs made before the option existed: the defaults).
    public var reading: ImageReadOptions?
    /// The trainer's options.
    public var options: TrainingOptions
    /// The class names (empty for an unconditional model).
    public var classNames: [String]
    /// The bit depth the images were held at (8 or 16).
    public var bitDepth: Int
    /// The model folder the run's weights started from (`--init-from`), if any.
    public var initFrom: String?
    /// True when the data's classes got new embeddings rather than the model's (`--init-new-classes`);
    /// nil for runs that kept them or were made before the option existed.
    public var initNewClasses: Bool?

    /// How the run's images are read: ``reading``, or the defaults for a run made before it was recorded.
    public var readOptions: ImageReadOptions { reading ?? ImageReadOptions() }

    /// - Parameters: see the properties.
    public init(data: String, resolution: Int, skipBad: Bool, reading: ImageReadOptions?, options: TrainingOptions,
                classNames: [String], bitDepth: Int, initFrom: String? = nil, initNewClasses: Bool? = nil) {
        self.data = data
        self.resolution = resolution
        self.skipBad = skipBad
        self.reading = reading
        self.options = options
        self.classNames = classNames
        self.bitDepth = bitDepth
        self.initFrom = initFrom
        self.initNewClasses = initNewClasses
    }
}
