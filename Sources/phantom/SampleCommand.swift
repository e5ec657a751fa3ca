import ArgumentParser
import Foundation
import PhantomDiffusion
import PhantomDistribution
import PhantomImaging
import PhantomPrivacy
import PhantomSafetensors
import PhantomTensor

/// `phantom sample MODEL --out DIR`: writes synthetic images in ImageFolder layout.
struct SampleCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sample",
        abstract: "Sample synthetic images from a model into an image folder.",
        discussion: """
            Writes DIR/<class>/<class>-<n>.png (DIR/<n>.png for an unconditional model) and \
            DIR/manifest.json (model hash, scheduler, steps, guidance, seed, class and noise index \
            of each file). Image n of class c draws its noise from index c·2^20 + n of the seed, so \
            the same command writes byte-identical files on any number of threads, with any \
            --batch-size, and --shard i/n writes exactly the unsharded run's files for its indices. \
            Under mpirun (or srun) the processes split the images between them and rank 0 writes \
            the manifest: the folder is byte for byte that of one process.
            """
    )

    @Argument(help: "A model folder (diffusers pipeline layout).") var model: String
    @Option(help: "The output folder.") var out: String
    @Option(help: "Images per class (default 16).") var perClass: Int?
    @Option(help: "Images in all, spread evenly over the classes (instead of --per-class).") var count: Int?
    @Option(name: .customLong("class"), help: "Only this class (repeatable; default: every class).")
    var classes: [String] = []
    @Option(help: "The sampler.") var scheduler = SchedulerChoice.dpmpp
    @Option(help: "Sampling steps (default: 25 for dpmpp, 50 for ddim, the training steps for ddpm).") var steps: Int?
    @Option(help: "DDIM's eta: 0 deterministic, 1 DDPM-like.") var eta: Float = 0
    @Option(help: "Classifier-free guidance scale (1: plain conditional sampling; default: the model's \"guidance_scale\" in phantom.json, else 1).")
    var guidanceScale: Float?
    @Option(help: ArgumentHelp("Guide only at noise levels σ = √((1 − ᾱ)/ᾱ) in LOW:HIGH, or at every step with \"all\" (default: the model's \"guidance_interval\" in phantom.json, else all).",
                               valueName: "LOW:HIGH"))
    var guidanceInterval: GuidanceInterval?
    @Option(help: ArgumentHelp("Autoguidance: guide against this weaker model of the same classes and noise schedule (smaller, or trained for less), or \"none\" (default: the model's \"guide\" folder in phantom.json, else none).",
                               valueName: "MODEL|none"))
    var guide: String?
    @Option(help: "Autoguidance scale (1: none; default: the model's \"guide_scale\" in phantom.json, else 2).")
    var guideScale: Float?
    @Option(help: "Seed of the noise.") var seed: UInt64 = 0
    @Option(help: "Images per model evaluation.") var batchSize = 16
    @Option(help: "8 or 16 bits per pixel (default: the training images' depth).") var bits: Int?
    @Option(help: "The files the images are written as.") var format = SampleFormat.png
    @Option(help: "Also write a grid of the images, one row per class, to this PNG file.") var grid: String?
    @Option(help: ArgumentHelp("Write only shard i of n (0 <= i < n), e.g. 0/4: every n-th image of the unsharded run, starting at image i.",
                               valueName: "i/n"))
    var shard: Shard?
    @Option(help: "Audit every image against this training folder and re-draw (with new seeds) any that copies a training image.")
    var excludeMemorized: String?
    @Option(help: "Re-draws allowed per image with --exclude-memorized.") var maxRedraws = 5
    @OptionGroup var threading: ThreadOptions

    func validate() throws {
        if perClass != nil && count != nil { throw ValidationError("give --per-class or --count, not both") }
        if let number = perClass ?? count, !(1..<(1 << 20)).contains(number) {
            throw ValidationError("--per-class / --count must be in 1..<1048576")
        }
        guard batchSize > 0 else { throw ValidationError("--batch-size must be positive") }
        if let bits, bits != 8 && bits != 16 { throw ValidationError("--bits must be 8 or 16") }
        if let steps, steps <= 0 { throw ValidationError("--steps must be positive") }
        if shard != nil && grid != nil { throw ValidationError("--grid needs every image: leave out --shard") }
    }

    func run() throws {
        threading.apply()
        // Under mpirun every process runs this command and draws its share of the images.
        let group = JobLaunch.processGroup()
        if !group.isLead { Terminal.silence() }
        do {
            if group.size > 1 && grid != nil {
                throw CommandError("--grid needs every image in one process: run without mpirun, or leave out --grid")
            }
            try generate(group: group)
        } catch let error as CommandError {
            Terminal.endProgress()
            Terminal.error(error.message)
            JobLaunch.abortIfParallel(group, code: 1)
            throw ExitCode.failure
        }
        JobLaunch.finish(group)
    }

    private func generate(group: ProcessGroup) throws {
        let modelURL = URL(fileURLWithPath: model)
        let folder: ModelFolder
        do { folder = try ModelFolder.load(from: modelURL) } catch { throw CommandError(error.description) }
        let info = folder.info, config = folder.unet.config
        let conditional = config.numClassEmbeds != nil
        let allClasses = conditional
            ? (info.classNames.isEmpty ? (0..<(info.nullClass ?? config.numClassEmbeds!)).map { "class\($0)" } : info.classNames)
            : [""]
        if !conditional && !classes.isEmpty { throw CommandError("\(model) is unconditional: it has no classes to choose from") }
        let wanted = classes.isEmpty ? allClasses : classes
        for name in wanted where !allClasses.contains(name) {
            throw CommandError("\(model) has no class \"\(name)\" (classes: \(allClasses.joined(separator: ", ")))")
        }
        let perClassCounts: [Int] = count.map { total in
            wanted.indices.map { total / wanted.count + ($0 < total % wanted.count ? 1 : 0) }
        } ?? Array(repeating: perClass ?? 16, count: wanted.count)
        let part = shard ?? .whole
        let plan = SamplePlan(classes: wanted, allClasses: allClasses, conditional: conditional, perClass: perClassCounts)
            .shard(part.index, of: part.count)
            .shard(group.rank, of: group.size)

        let trained = folder.schedulerConfig ?? SchedulerConfig(kind: .ddpm)
        let samplerConfig: SchedulerConfig
        do { samplerConfig = try trained.converted(to: scheduler.kind) } catch { throw CommandError(error.description) }
        let stepCount = steps ?? scheduler.defaultSteps(trainingTimesteps: samplerConfig.numTrainTimesteps)
        let depth: BitDepth = (bits ?? info.bitDepth) == 16 ? .sixteen : .eight
        let guideModel: (url: URL, folder: ModelFolder)?
        do { guideModel = try AutoGuide.load(option: guide, for: folder, at: modelURL) } catch { throw CommandError(error.description) }
        let guideURL = guideModel?.url
        if guideScale != nil && guideURL == nil {
            throw CommandError("--guide-scale needs a guide model: give --guide MODEL (\(model)'s phantom.json names none)")
        }
        let sampler = Sampler(unet: folder.unet, scheduler: samplerConfig.makeScheduler(eta: eta), nullClass: info.nullClass,
                              guide: guideModel?.folder.unet)
        let guidance = info.samplingGuidance(scale: guidanceScale, guideScale: guideScale, guideUsed: guideURL != nil,
                                             interval: guidanceInterval)
        let outFolder = URL(fileURLWithPath: out)
        let side = config.sampleSize

        let started = Date()
        var images: [[Float]] = []
        for first in stride(from: 0, to: plan.items.count, by: batchSize) {
            let batch = Array(plan.items[first..<min(plan.items.count, first + batchSize)])
            images += try draw(batch, sampler: sampler, seed: seed, steps: stepCount, guidance: guidance, progress: { step in
                showProgress(done: first, batch: batch.count, total: plan.items.count, step: step,
                             steps: stepCount, started: started)
            })
        }
        Terminal.endProgress()
        let weightsHash = ModelFolder.weightsSHA256(at: modelURL)
        var seeds = Array(repeating: seed, count: images.count)
        if let excludeMemorized {
            try redrawMemorized(&images, seeds: &seeds, items: plan.items, training: excludeMemorized,
                                sampler: sampler, steps: stepCount, guidance: guidance, side: side)
        }
        var tiles: [String: [[Float]]] = [:]
        var written: [[String: Any]] = []
        var writtenIndices: [Int] = []   // each written entry's index in this process's plan
        for (index, item) in plan.items.enumerated() where !images[index].isEmpty {
            let fileName = item.fileName(extension: format.fileExtension)
            let url = outFolder.appendingPathComponent(fileName)
            let image = GrayImage(width: side, height: side, bitDepth: depth, floats: images[index])
            do {
                try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
                switch format {
                case .png:
                    try PNGEncoder.write(image, to: url.path)
                case .dicom:
                    let identity = SyntheticImageIdentity(
                        sampledFrom: model, modelSHA256: weightsHash, seed: seed, imageSeed: seeds[index],
                        sampler: samplerConfig.kind.rawValue, steps: stepCount, eta: eta, guidance: guidance.scale,
                        className: item.className, label: item.label, number: item.number, noiseIndex: item.noiseIndex)
                    try DICOMEncoder.write(image, identity: identity, softwareVersion: "Phantom", to: url.path)
                }
            } catch let error as ImagingError {
                throw CommandError("\(error.path): \(error.reason)")
            } catch {
                throw CommandError("\(url.path): cannot write (\(fileErrorReason(error)))")
            }
            if grid != nil { tiles[item.className, default: []].append(images[index]) }
            written.append(["file": fileName, "class": item.className, "noise_index": item.noiseIndex,
                            "seed": String(seeds[index])])
            writtenIndices.append(index)
        }
        if group.size > 1 {
            written = try gatherManifestEntries(written, planIndices: writtenIndices, group: group)
            guard group.isLead else { return }
        }
        if let grid { try writeGrid(tiles, classes: wanted, side: side, to: grid) }
        try writeManifest(written, to: outFolder, weightsHash: weightsHash, scheduler: samplerConfig,
                          steps: stepCount, guidance: guidance, guide: guideURL, bitDepth: depth, privacy: info.privacy)
        let seconds = Date().timeIntervalSince(started)
        Terminal.say("wrote \(written.count) images (\(depth.rawValue)-bit, \(side)x\(side)) to \(out) in \(String(format: "%.1f", seconds)) s")
    }

    /// Samples `batch` with `seed`, returning one float image per item.
    private func draw(_ batch: [SamplePlan.Item], sampler: Sampler, seed: UInt64, steps: Int, guidance: Guidance,
                      progress: (Int) -> Void = { _ in }) throws -> [[Float]] {
        let images: Tensor
        do {
            images = try sampler.sample(indices: batch.map(\.noiseIndex),
                                        labels: batch.first?.label == nil ? nil : batch.map { $0.label! },
                                        seed: seed, steps: steps, guidance: guidance, progress: progress)
        } catch {
            throw CommandError(error.description)
        }
        return images.itemValues
    }

    /// Loads the training folder and applies ``MemorizedRedraw`` to the images.
    private func redrawMemorized(_ images: inout [[Float]], seeds: inout [UInt64], items: [SamplePlan.Item],
                                 training folder: String, sampler: Sampler, steps: Int, guidance: Guidance, side: Int) throws {
        let training: AuditImages
        do {
            let dataset = try ImageFolderDataset.load(root: folder, resolution: side, skipBad: true,
                                                      maxPixels: PNGDecoder.defaultMaxPixels)
            training = AuditImages(dataset)
        } catch {
            throw CommandError("\(error.path): \(error.reason)")
        }
        let outcome: MemorizedRedraw.Outcome
        do {
            outcome = try MemorizedRedraw.apply(
                images: images, seed: seed, side: side, training: training, maxRedraws: maxRedraws,
                onRedraw: { count, round in
                    Terminal.note("re-drawing \(count) images that resemble a training image (attempt \(round))")
                },
                draw: { positions, redrawSeed in
                    try draw(positions.map { items[$0] }, sampler: sampler, seed: redrawSeed, steps: steps,
                             guidance: guidance)
                })
        } catch let error as AuditError {
            throw CommandError(error.reason)
        }
        if outcome.leftOut > 0 {
            Terminal.note("\(outcome.leftOut) images still resemble a training image after \(maxRedraws) re-draws; they are left out")
        }
        images = outcome.images
        seeds = outcome.seeds
    }

    private func writeGrid(_ tiles: [String: [[Float]]], classes: [String], side: Int, to path: String) throws {
        let columns = tiles.values.map(\.count).max() ?? 1
        let blank = [Float](repeating: 1, count: side * side)
        let ordered = classes.flatMap { name in
            let row = tiles[name] ?? []
            return row + Array(repeating: blank, count: columns - row.count)
        }
        do { try PNGEncoder.write(ImageGrid.tile(ordered, side: side, columns: columns), to: path) } catch {
            throw CommandError("\(error.path): \(error.reason)")
        }
    }

    private func showProgress(done: Int, batch: Int, total: Int, step: Int, steps: Int, started: Date) {
        guard Terminal.isInteractive else { return }
        let fraction = (Double(done) + Double(batch) * Double(step) / Double(steps)) / Double(total)
        let elapsed = Date().timeIntervalSince(started)
        let eta = fraction > 0 ? elapsed * (1 - fraction) / fraction : .infinity
        Terminal.progress("\(Terminal.bar(fraction)) \(done)/\(total) images, step \(step)/\(steps), ETA \(Terminal.duration(eta))")
    }

    /// On the lead process, every process's manifest entries in the whole run's order;
    /// elsewhere `[]`. Process r's plan holds the items at positions r, r + size, … (see
    /// ``SamplePlan/shard(_:of:)``), so its k-th item sits at k·size + r.
    private func gatherManifestEntries(_ entries: [[String: Any]], planIndices: [Int],
                                       group: ProcessGroup) throws -> [[String: Any]] {
        let keyed = zip(entries, planIndices).map { entry, k in entry.merging(["position": k * group.size + group.rank]) { $1 } }
        let bytes: [UInt8]
        do { bytes = Array(try JSONSerialization.data(withJSONObject: keyed)) } catch {
            throw CommandError("cannot encode the manifest entries (\(error))")
        }
        let gathered = group.gather(bytes).flatMap { part in
            (try? JSONSerialization.jsonObject(with: Data(part))) as? [[String: Any]] ?? []
        }
        return gathered.sorted { ($0["position"] as? Int ?? 0) < ($1["position"] as? Int ?? 0) }
            .map { $0.filter { $0.key != "position" } }
    }

    private func writeManifest(_ files: [[String: Any]], to folder: URL, weightsHash: String?, scheduler: SchedulerConfig,
                               steps: Int, guidance: Guidance, guide: URL?, bitDepth: BitDepth, privacy: DPSGDGuarantee?) throws {
        var manifest: [String: Any] = [
            "model": model, "model_sha256": weightsHash ?? NSNull(), "scheduler": scheduler.kind.rawValue,
            "steps": steps, "eta": Double(eta),
            "guide_model": guide?.path ?? NSNull(), "guide_sha256": guide.flatMap(ModelFolder.weightsSHA256(at:)) ?? NSNull(), "seed": String(seed),
            "bits": bitDepth.rawValue, "shard": (shard ?? .whole).description, "format": format.rawValue, "files": files,
        ]
        manifest.merge(guidance.manifestFields) { $1 }
        manifest["privacy"] = privacy?.manifestObject(screenedAgainstTrainingImages: excludeMemorized != nil) ?? NSNull()
        let name = shard.map { "manifest-shard-\($0.fileNameComponent).json" } ?? "manifest.json"
        do {
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            try JSONSerialization.data(withJSONObject: manifest, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
                .write(to: folder.appendingPathComponent(name))
        } catch {
            throw CommandError("\(folder.path)/\(name): cannot write (\(fileErrorReason(error)))")
        }
    }
}
