import Foundation
import PhantomSafetensors

/// A model in diffusers' pipeline layout, which `DDPMPipeline.from_pretrained` reads:
///
///     model_index.json
///     unet/config.json
///     unet/diffusion_pytorch_model.safetensors
///     scheduler/scheduler_config.json
///     phantom.json            (Phantom's own: class names, null class, bit depth)
///
/// A bare folder holding `config.json` and `diffusion_pytorch_model.safetensors`
/// (a diffusers `unet/` folder) is read too, with no scheduler.
public struct ModelFolder {
    public let unet: UNet2D
    /// The scheduler the model was trained with, if the folder has a `scheduler_config.json`.
    public let schedulerConfig: SchedulerConfig?
    public let info: ModelInfo
    /// The SHA-256 of the weights file the U-Net was loaded from (nil for a model made in memory).
    public let weightsSHA256: String?

    public init(unet: UNet2D, schedulerConfig: SchedulerConfig?, info: ModelInfo, weightsSHA256: String? = nil) {
        self.unet = unet
        self.schedulerConfig = schedulerConfig
        self.info = info
        self.weightsSHA256 = weightsSHA256
    }

    static let weightsName = "diffusion_pytorch_model.safetensors"

    /// The folder of a model folder's U-Net: `unet/` in the pipeline layout, else the folder itself.
    static func unetFolder(in url: URL) -> URL {
        let pipelineUNet = url.appendingPathComponent("unet")
        return FileManager.default.fileExists(atPath: pipelineUNet.appendingPathComponent("config.json").path)
            ? pipelineUNet : url
    }

    /// Reads a model folder (pipeline layout or a bare `unet/` folder).
    public static func load(from url: URL) throws(ModelError) -> ModelFolder {
        let fileManager = FileManager.default
        var isDirectory: ObjCBool = false
        guard fileManager.fileExists(atPath: url.path, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw ModelError(path: url.path, reason: "no such model folder")
        }
        let unetFolder = unetFolder(in: url)
        let configURL = unetFolder.appendingPathComponent("config.json")
        guard fileManager.fileExists(atPath: configURL.path) else {
            throw ModelError(path: url.path, reason: "not a model folder: neither unet/config.json nor config.json exists")
        }
        let config: UNetConfig
        config = try UNetConfig(contentsOf: configURL)
        let weightsURL = unetFolder.appendingPathComponent(weightsName)
        let weights: SafetensorsFile
        do { weights = try SafetensorsFile(contentsOf: weightsURL) } catch {
            throw ModelError(path: error.path, reason: error.reason)
        }
        let unet = UNet2D(config: config)
        try unet.loadWeights(from: weights)

        let schedulerURL = url.appendingPathComponent("scheduler/scheduler_config.json")
        var scheduler: SchedulerConfig?
        if fileManager.fileExists(atPath: schedulerURL.path) {
            scheduler = try SchedulerConfig(contentsOf: schedulerURL)
        }
        let infoURL = url.appendingPathComponent(ModelInfo.fileName)
        let info = fileManager.fileExists(atPath: infoURL.path)
            ? try ModelInfo(json: try readFile(infoURL), source: infoURL.path)
            : ModelInfo(classNames: [], nullClass: nil, bitDepth: 8)
        if let classes = config.numClassEmbeds, info.classNames.count > classes {
            throw ModelError(path: infoURL.path, reason: "\(info.classNames.count) class names for a model with \(classes) class embeddings")
        }
        return ModelFolder(unet: unet, schedulerConfig: scheduler, info: info, weightsSHA256: weights.sha256())
    }

    /// Writes the folder to `url`, replacing what is there only once everything is
    /// written (the new folder is built beside it, then renamed into place).
    public func write(to url: URL) throws(ModelError) {
        try Self.writeStaged(to: url) { staging in
            let fileManager = FileManager.default
            try fileManager.createDirectory(at: staging.appendingPathComponent("unet"), withIntermediateDirectories: true)
            let index: [String: Any] = [
                "_class_name": "DDPMPipeline", "_diffusers_version": "0.42.1",
                "unet": ["diffusers", "UNet2DModel"], "scheduler": ["diffusers", (schedulerConfig?.kind ?? .ddpm).rawValue],
            ]
            try JSONSerialization.data(withJSONObject: index, options: [.prettyPrinted, .sortedKeys])
                .write(to: staging.appendingPathComponent("model_index.json"))
            try unet.config.jsonData().write(to: staging.appendingPathComponent("unet/config.json"))
            try unet.saveWeights(to: staging.appendingPathComponent("unet/\(Self.weightsName)"))
            if let schedulerConfig {
                try fileManager.createDirectory(at: staging.appendingPathComponent("scheduler"), withIntermediateDirectories: true)
                try schedulerConfig.jsonData().write(to: staging.appendingPathComponent("scheduler/\(SchedulerConfig.fileName)"))
            }
            try info.jsonData().write(to: staging.appendingPathComponent(ModelInfo.fileName))
        }
    }

    /// Makes a model folder at `url` with `build`, which fills the folder it is given: built
    /// under a hidden name beside `url`, then put in place (``StagedDirectory``). On any error
    /// `url` is left as it was and the half-built folder is removed.
    static func writeStaged(to url: URL, _ build: (URL) throws -> Void) throws(ModelError) {
        let staging = StagedDirectory.staging(for: url)
        do {
            try build(staging)
            try StagedDirectory.commit(staging, to: url)
            StagedDirectory.removeLeftovers(in: url.deletingLastPathComponent(), namePrefix: url.lastPathComponent + ".")
        } catch let error as ModelError {
            try? FileManager.default.removeItem(at: staging)
            throw error
        } catch {
            try? FileManager.default.removeItem(at: staging)
            throw ModelError(path: url.path, reason: "cannot write the model folder (\(fileErrorReason(error, path: url)))")
        }
    }
}

/// Reads a whole file, failing with its path.
func readFile(_ url: URL) throws(ModelError) -> Data {
    do { return try Data(contentsOf: url) } catch {
        throw ModelError(path: url.path, reason: "cannot read (\(fileErrorReason(error)))")
    }
}

