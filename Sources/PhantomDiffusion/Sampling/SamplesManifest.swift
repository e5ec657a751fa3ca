import Foundation
import PhantomImaging
import PhantomSafetensors
import PhantomTensor

/// A samples folder's `manifest.json` (`manifest-shard-i-of-n.json` for a shard): which model,
/// guide, sampler, guidance and seed made the images, and each file's class, noise index and
/// seed. ``SamplingJob`` writes it; `phantom evaluate` reads its run fields back (``read(folder:)``)
/// to say what it measured.
public struct SamplesManifest {
    /// One image file of the folder.
    public struct Entry: Equatable, Sendable {
        /// Its path in the folder (``SamplePlan/Item/fileName(extension:)``).
        public let file: String
        public let className: String
        public let noiseIndex: Int
        /// The seed it was drawn with (another than the run's when it was re-drawn).
        public let seed: UInt64
        /// Its position in the whole run's plan, which orders the entries gathered from processes.
        public let position: Int

        public init(item: SamplePlan.Item, fileExtension: String, seed: UInt64, position: Int) {
            self.init(file: item.fileName(extension: fileExtension), className: item.className,
                      noiseIndex: item.noiseIndex, seed: seed, position: position)
        }

        init(file: String, className: String, noiseIndex: Int, seed: UInt64, position: Int) {
            self.file = file
            self.className = className
            self.noiseIndex = noiseIndex
            self.seed = seed
            self.position = position
        }

        /// The manifest's form: `file`, `class`, `noise_index`, `seed` (a string: seeds exceed 2^53).
        var jsonObject: [String: Any] {
            ["file": file, "class": className, "noise_index": noiseIndex, "seed": String(seed)]
        }
    }

    /// The fields that say how the images were made, which ``read(folder:)`` returns.
    public static let runFields = ["model", "model_sha256", "scheduler", "steps", "guidance_scale", "guidance_interval",
                                   "guide_model", "guide_scale", "guide_interval", "seed"]

    /// The model folder as the user named it, and the SHA-256 of its weights file.
    public var model: String
    public var modelSHA256: String?
    public var scheduler: SchedulerConfig.Kind
    public var steps: Int
    public var eta: Float
    public var guidance: Guidance
    /// The guide model folder as the user named it (or the model's folder joined with its
    /// `phantom.json` `"guide"`), and the SHA-256 of its weights; nil without autoguidance.
    public var guideModel: String?
    public var guideSHA256: String?
    public var seed: UInt64
    public var bitDepth: BitDepth
    public var shard: SampleShard
    public var format: SampleFileFormat
    public var files: [Entry]
    /// The model's DP-SGD guarantee as the manifest states it, nil for a model trained without DP.
    public var privacy: [String: Any]?

    /// The file name: `manifest.json`, or `manifest-shard-i-of-n.json` for a shard.
    public var fileName: String {
        shard == .whole ? "manifest.json" : "manifest-shard-\(shard.fileNameComponent).json"
    }

    var jsonObject: [String: Any] {
        var object: [String: Any] = [
            "model": model, "model_sha256": modelSHA256 ?? NSNull(), "scheduler": scheduler.rawValue,
            "steps": steps, "eta": Double(eta), "guide_model": guideModel ?? NSNull(),
            "guide_sha256": guideSHA256 ?? NSNull(), "seed": String(seed), "bits": bitDepth.rawValue,
            "shard": shard.description, "format": format.rawValue, "files": files.map(\.jsonObject),
            "privacy": privacy ?? NSNull(),
        ]
        object.merge(guidance.manifestFields) { $1 }
        return object
    }

    /// Writes ``fileName`` into `folder` (created if missing), atomically.
    public func write(to folder: URL) throws(ModelError) {
        let url = folder.appendingPathComponent(fileName)
        do {
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            try JSONSerialization.data(withJSONObject: jsonObject, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
                .write(to: url, options: .atomic)
        } catch {
            throw ModelError(path: url.path, reason: "cannot write (\(fileErrorReason(error, path: folder)))")
        }
    }

    /// The ``runFields`` of the folder's `manifest.json` as text, or an empty dictionary when the
    /// folder has no readable manifest.
    public static func read(folder: String) -> [String: String] {
        let url = URL(fileURLWithPath: folder).appendingPathComponent("manifest.json")
        guard let data = try? Data(contentsOf: url),
              let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else { return [:] }
        var result: [String: String] = [:]
        for field in runFields { if let value = object[field], !(value is NSNull) { result[field] = "\(value)" } }
        return result
    }

    /// On the lead process, every process's entries in the whole run's order (by
    /// ``Entry/position``); elsewhere `[]`. Collective: every process of `group` calls it.
    static func gather(_ entries: [Entry], group: ProcessGroup, folder: String) throws(ModelError) -> [Entry] {
        let keyed = entries.map { $0.jsonObject.merging(["position": $0.position]) { $1 } }
        let bytes: [UInt8]
        do { bytes = Array(try JSONSerialization.data(withJSONObject: keyed)) } catch {
            throw ModelError(path: folder, reason: "cannot encode the manifest entries (\(error))")
        }
        let objects = group.gather(bytes).flatMap { part in
            (try? JSONSerialization.jsonObject(with: Data(part))) as? [[String: Any]] ?? []
        }
        return objects.compactMap { object -> Entry? in
            guard let file = object["file"] as? String, let className = object["class"] as? String,
                  let noiseIndex = object["noise_index"] as? Int, let seed = (object["seed"] as? String).flatMap(UInt64.init),
                  let position = object["position"] as? Int else { return nil }
            return Entry(file: file, className: className, noiseIndex: noiseIndex, seed: seed, position: position)
        }.sorted { $0.position < $1.position }
    }
}
