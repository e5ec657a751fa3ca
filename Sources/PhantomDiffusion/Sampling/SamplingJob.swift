import Foundation
import PhantomImaging
import PhantomPrivacy
import PhantomTensor

/// A whole sampling run, `phantom sample MODEL --out DIR`, as one call: the model and its
/// guide loaded, the run's ``SamplePlan`` cut to this shard and process, each image drawn by
/// ``Sampler`` (optionally screened by ``MemorizedRedraw``), written as
/// `DIR/<class>/<class>-<n>.png|dcm`, and the run described in `DIR/manifest.json`
/// (``SamplesManifest``).
///
/// Stages:
/// 1. Load the model; choose the classes and the images per class.
/// 2. Cut the plan to `shard`, then to this process of `group`.
/// 3. Resolve the sampler (the trained noise schedule under `scheduler`), the guide and the guidance.
/// 4. Draw the images batch by batch.
/// 5. With `excludeMemorized`, re-draw the images that resemble a training image.
/// 6. Write the files; gather every process's manifest entries on the lead, which writes the
///    grid and the manifest.
///
/// Image n of class c draws its noise from index c·2^20 + n of the seed, so the folder is
/// byte for byte the same on any number of threads, with any `batchSize`, split into shards or
/// over processes.
public enum SamplingJob {
    /// What to sample; nil fields take the model's own defaults (`phantom.json`).
    public struct Request: Sendable {
        /// The model folder (diffusers pipeline layout), as the user named it.
        public var model: String
        /// The output folder.
        public var out: String
        /// The classes to sample, empty for every class.
        public var classes: [String] = []
        /// Images per class (default 16), or nil with ``count``.
        public var perClass: Int?
        /// Images in all, spread evenly over the classes, instead of ``perClass``.
        public var count: Int?
        /// The sampler.
        public var scheduler: SchedulerConfig.Kind = .dpmSolverMultistep
        /// Sampling steps (default: ``defaultSteps(_:trainingTimesteps:)``).
        public var steps: Int?
        /// DDIM's η.
        public var eta: Float = 0
        /// Classifier-free guidance scale and σ interval, the guide (a folder or `none`), its
        /// scale and σ interval (see ``ModelInfo/samplingGuidance(scale:guideScale:guideUsed:interval:guideInterval:)``).
        public var guidanceScale: Float?
        public var guidanceInterval: GuidanceInterval?
        public var guide: String?
        public var guideScale: Float?
        public var guideInterval: GuidanceInterval?
        /// The seed of the noise.
        public var seed: UInt64 = 0
        /// Images per model evaluation; changes the speed, never the images.
        public var batchSize = 16
        /// 8 or 16 bits per pixel (default: the training images' depth).
        public var bits: Int?
        public var format: SampleFileFormat = .png
        /// A PNG file for a grid of the images, one row per class (needs the whole run in one process).
        public var grid: String?
        public var shard: SampleShard = .whole
        /// A training folder: re-draw (with new seeds, up to ``maxRedraws`` times) any image that
        /// resembles one of its images.
        public var excludeMemorized: String?
        public var maxRedraws = 5

        public init(model: String, out: String) {
            self.model = model
            self.out = out
        }
    }

    /// What a run reports while it works.
    public enum Event: Sendable {
        /// Step `step` of `steps` of the batch of `batch` images after the first `done` of `total`.
        case drawing(done: Int, batch: Int, total: Int, step: Int, steps: Int)
        /// Re-drawing `count` images that resemble a training image, for the `attempt`-th time.
        case redrawing(count: Int, attempt: Int)
        /// `count` images still resembled a training image after every re-draw and were left out.
        case leftOut(count: Int)
    }

    /// What a run wrote (on a process that is not the lead, its own share).
    public struct Summary: Sendable, Equatable {
        /// The number of image files.
        public let written: Int
        public let bitDepth: BitDepth
        /// The images' side in pixels.
        public let side: Int
    }

    /// The steps a sampler takes unless told: 25 for DPM-Solver++, 50 for DDIM, every training
    /// timestep for DDPM.
    public static func defaultSteps(_ kind: SchedulerConfig.Kind, trainingTimesteps: Int) -> Int {
        switch kind {
        case .dpmSolverMultistep: return 25
        case .ddim: return 50
        case .ddpm: return trainingTimesteps
        }
    }

    /// Runs `request` as process `group.rank` of `group.size`; only the lead writes the grid
    /// and the manifest.
    ///
    /// - Throws: ``ModelError`` naming the file and the reason: a model, guide or training
    ///   folder that cannot be used, a class the model does not have, a file that cannot be written.
    public static func run(_ request: Request, group: ProcessGroup = SingleProcess(),
                           onEvent: (Event) -> Void = { _ in }) throws(ModelError) -> Summary {
        if let grid = request.grid, group.size > 1 || request.shard != .whole {
            throw ModelError(path: grid, reason: "a grid needs every image of the run in one process: no shard, no MPI")
        }
        // 1–2. The model, the classes and this process's part of the plan.
        let modelURL = URL(fileURLWithPath: request.model)
        let folder = try ModelFolder.load(from: modelURL)
        let info = folder.info, config = folder.unet.config
        let plan = try SamplePlan(request: request, info: info, config: config)
            .shard(request.shard.index, of: request.shard.count)
            .shard(group.rank, of: group.size)

        // 3. Sampler, guide and guidance.
        let samplerConfig = try (folder.schedulerConfig ?? SchedulerConfig(kind: .ddpm)).converted(to: request.scheduler)
        let steps = request.steps ?? defaultSteps(request.scheduler, trainingTimesteps: samplerConfig.numTrainTimesteps)
        let depth: BitDepth = (request.bits ?? info.bitDepth) == 16 ? .sixteen : .eight
        let guide = try AutoGuide.load(option: request.guide, for: folder, at: modelURL)
        if (request.guideScale != nil || request.guideInterval != nil) && guide == nil {
            throw ModelError(path: request.model, reason: "an autoguidance scale or interval needs a guide model, and none is given (its phantom.json names none)")
        }
        let sampler = Sampler(unet: folder.unet, scheduler: samplerConfig.makeScheduler(eta: request.eta),
                              nullClass: info.nullClass, guide: guide?.folder.unet)
        let guidance = info.samplingGuidance(scale: request.guidanceScale, guideScale: request.guideScale,
                                             guideUsed: guide != nil, interval: request.guidanceInterval,
                                             guideInterval: request.guideInterval)
        let draw = { (items: [SamplePlan.Item], seed: UInt64, progress: (Int) -> Void) throws(ModelError) -> [[Float]] in
            try sampler.sample(indices: items.map(\.noiseIndex), labels: items.first?.label == nil ? nil : items.map { $0.label! },
                               seed: seed, steps: steps, guidance: guidance, progress: progress).itemValues
        }

        // 4. Draw.
        var images: [[Float]] = []
        for first in stride(from: 0, to: plan.items.count, by: request.batchSize) {
            let batch = Array(plan.items[first..<min(plan.items.count, first + request.batchSize)])
            images += try draw(batch, request.seed) { step in
                onEvent(.drawing(done: first, batch: batch.count, total: plan.items.count, step: step, steps: steps))
            }
        }

        // 5. Screen for copies.
        var seeds = Array(repeating: request.seed, count: images.count)
        if let training = request.excludeMemorized {
            let outcome = try redrawMemorized(images, seed: request.seed, side: config.sampleSize, training: training,
                                              maxRedraws: request.maxRedraws, onEvent: onEvent) { (positions: [Int], seed: UInt64) throws(ModelError) in
                try draw(positions.map { plan.items[$0] }, seed) { _ in }
            }
            images = outcome.images
            seeds = outcome.seeds
        }

        // 6. Files, grid and manifest.
        let weightsHash = folder.weightsSHA256
        let guideHash = guide?.folder.weightsSHA256
        let files = SampleFiles(out: URL(fileURLWithPath: request.out), side: config.sampleSize, depth: depth,
                                format: request.format)
        var entries: [SamplesManifest.Entry] = []
        var tiles: [String: [[Float]]] = [:]
        for (index, item) in plan.items.enumerated() where !images[index].isEmpty {
            let identity = request.format == .dicom
                ? SyntheticImageIdentity(sampledFrom: request.model, modelSHA256: weightsHash, seed: request.seed,
                                         imageSeed: seeds[index], sampler: samplerConfig.kind.rawValue, steps: steps,
                                         eta: request.eta, guidance: guidance.scale,
                                         autoguidance: guide.map { _ in autoguidanceRecord(guidance, guideHash: guideHash) },
                                         guidanceInterval: guidance.sigmas,
                                         className: item.className,
                                         label: item.label, number: item.number, noiseIndex: item.noiseIndex)
                : nil
            try files.write(images[index], as: item, identity: identity)
            if request.grid != nil { tiles[item.className, default: []].append(images[index]) }
            entries.append(SamplesManifest.Entry(item: item, fileExtension: request.format.fileExtension,
                                                 seed: seeds[index], position: index * group.size + group.rank))
        }
        let written = entries.count
        if group.size > 1 {
            entries = try SamplesManifest.gather(entries, group: group, folder: request.out)
            guard group.isLead else { return Summary(written: written, bitDepth: depth, side: config.sampleSize) }
        }
        if let grid = request.grid {
            try files.writeGrid(tiles, classes: plan.classes, to: grid)
        }
        let guidePath = info.guidePath(option: request.guide, model: request.model)
        let manifest = SamplesManifest(
            model: request.model, modelSHA256: weightsHash, scheduler: samplerConfig.kind, steps: steps, eta: request.eta,
            guidance: guidance, guideModel: guidePath, guideSHA256: guideHash,
            seed: request.seed, bitDepth: depth, shard: request.shard, format: request.format, files: entries,
            privacy: info.privacy?.manifestObject(screenedAgainstTrainingImages: request.excludeMemorized != nil))
        try manifest.write(to: URL(fileURLWithPath: request.out))
        return Summary(written: entries.count, bitDepth: depth, side: config.sampleSize)
    }

    /// Loads the training folder and applies ``MemorizedRedraw`` to `images`.
    /// The autoguidance as a DICOM derivation names it: scale, interval (ASCII) and guide hash.
    private static func autoguidanceRecord(_ guidance: Guidance, guideHash: String?) -> String {
        let interval = guidance.guideSigmas.map { " at sigma \($0.lowerBound) to \($0.upperBound)" } ?? ""
        return "\(guidance.guideScale)\(interval) by guide sha256 \(guideHash ?? "unknown")"
    }

    private static func redrawMemorized(_ images: [[Float]], seed: UInt64, side: Int, training folder: String,
                                        maxRedraws: Int, onEvent: (Event) -> Void,
                                        draw: ([Int], UInt64) throws(ModelError) -> [[Float]]) throws(ModelError) -> MemorizedRedraw.Outcome {
        let training: AuditImages
        do {
            let dataset = try ImageFolderDataset.load(root: folder, resolution: side, skipBad: true,
                                                      maxPixels: PNGDecoder.defaultMaxPixels)
            training = AuditImages(dataset)
        } catch {
            throw ModelError(path: error.path, reason: error.reason)
        }
        let outcome: MemorizedRedraw.Outcome
        do {
            outcome = try MemorizedRedraw.apply(images: images, seed: seed, side: side, training: training,
                                                maxRedraws: maxRedraws,
                                                onRedraw: { onEvent(.redrawing(count: $0, attempt: $1)) },
                                                draw: { positions, redrawSeed in try draw(positions, redrawSeed) })
        } catch let error as ModelError {
            throw error
        } catch let error as AuditError {
            throw ModelError(path: folder, reason: error.reason)
        } catch {
            throw ModelError(path: folder, reason: "\(error)")
        }
        if outcome.leftOut > 0 { onEvent(.leftOut(count: outcome.leftOut)) }
        return outcome
    }
}

extension SamplePlan {
    /// Stage 1 of ``SamplingJob``: the request's classes (every class of the model unless it
    /// names some) and images per class, checked against the model.
    init(request: SamplingJob.Request, info: ModelInfo, config: UNetConfig) throws(ModelError) {
        let conditional = config.numClassEmbeds != nil
        let allClasses = conditional
            ? (info.classNames.isEmpty ? (0..<(info.nullClass ?? config.numClassEmbeds!)).map { "class\($0)" } : info.classNames)
            : [""]
        if !conditional && !request.classes.isEmpty {
            throw ModelError(path: request.model, reason: "the model is unconditional: it has no classes to choose from")
        }
        let wanted = request.classes.isEmpty ? allClasses : request.classes
        for name in wanted where !allClasses.contains(name) {
            throw ModelError(path: request.model,
                             reason: "the model has no class \"\(name)\" (classes: \(allClasses.joined(separator: ", ")))")
        }
        let perClass: [Int] = request.count.map { total in
            wanted.indices.map { total / wanted.count + ($0 < total % wanted.count ? 1 : 0) }
        } ?? Array(repeating: request.perClass ?? 16, count: wanted.count)
        self.init(classes: wanted, allClasses: allClasses, conditional: conditional, perClass: perClass)
    }
}
