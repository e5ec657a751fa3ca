import ArgumentParser
import Foundation
import PhantomDiffusion
import PhantomImaging
import PhantomTensor

/// `phantom sample MODEL --out DIR`: writes synthetic images in ImageFolder layout.
struct SampleCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sample",
        abstract: "Sample synthetic images from a model into an image folder.",
        discussion: """
            Writes DIR/<class>/<class>-<n>.png (DIR/<n>.png for an unconditional model) and \
            DIR/manifest.json recording the model, scheduler, steps, guidance, seed and each \
            file's noise index. Image n of class c draws its noise from index c·2^20 + n of the \
            seed, so the same command gives the same images on any number of threads.
            """
    )

    @Argument(help: "A model folder (diffusers pipeline layout).") var model: String
    @Option(help: "The output folder.") var out: String
    @Option(help: "Images per class (or in all, for an unconditional model).") var count = 16
    @Option(name: .customLong("class"), help: "Only this class (repeatable; default: every class).")
    var classes: [String] = []
    @Option(help: "Sampler: dpm (DPM-Solver++ 2M), ddim or ddpm.") var scheduler = "dpm"
    @Option(help: "Sampling steps (default: 25 for dpm, 50 for ddim, the training steps for ddpm).") var steps: Int?
    @Option(help: "DDIM's eta: 0 deterministic, 1 DDPM-like.") var eta: Float = 0
    @Option(help: "Classifier-free guidance scale (1: plain conditional sampling).") var guidanceScale: Float = 1
    @Option(help: "Seed of the noise.") var seed: UInt64 = 0
    @Option(help: "Images per model evaluation.") var batchSize = 16
    @Option(help: "8 or 16 bits per pixel (default: the training images' depth).") var bitDepth: Int?
    @Flag(help: "Also write one grid image per class (DIR/grid-<class>.png).") var grid = false
    @Option(help: "Worker threads (default: all cores).") var threads: Int?

    func validate() throws {
        guard count > 0, count < 1 << 20 else { throw ValidationError("--count must be in 1..<1048576") }
        guard batchSize > 0 else { throw ValidationError("--batch-size must be positive") }
        guard ["dpm", "ddim", "ddpm"].contains(scheduler) else {
            throw ValidationError("--scheduler must be dpm, ddim or ddpm, got \(scheduler)")
        }
        if let bitDepth, bitDepth != 8 && bitDepth != 16 { throw ValidationError("--bit-depth must be 8 or 16") }
        if let steps, steps <= 0 { throw ValidationError("--steps must be positive") }
    }

    func run() throws {
        Parallel.configure(threads: threads)
        do {
            try generate()
        } catch let error as CommandError {
            Terminal.endProgress()
            Terminal.error(error.message)
            throw ExitCode.failure
        }
    }

    private func generate() throws {
        let folder: ModelFolder
        do { folder = try ModelFolder.load(from: URL(fileURLWithPath: model)) } catch {
            throw CommandError(error.description)
        }
        let info = folder.info
        let conditional = folder.unet.config.numClassEmbeds != nil
        let classNames = conditional
            ? (info.classNames.isEmpty ? (0..<(info.nullClass ?? folder.unet.config.numClassEmbeds!)).map { "class\($0)" }
                                       : info.classNames)
            : [""]
        let wanted = classes.isEmpty ? classNames : classes
        for name in wanted where !classNames.contains(name) {
            throw CommandError("\(model) has no class \"\(name)\" (classes: \(classNames.joined(separator: ", ")))")
        }
        let trained = folder.schedulerConfig ?? SchedulerConfig(kind: .ddpm)
        let kind: SchedulerConfig.Kind = ["dpm": .dpmSolverMultistep, "ddim": .ddim, "ddpm": .ddpm][scheduler]!
        let samplerConfig: SchedulerConfig
        do { samplerConfig = try trained.converted(to: kind) } catch { throw CommandError(error.description) }
        let stepCount = steps ?? ["dpm": 25, "ddim": 50, "ddpm": samplerConfig.numTrainTimesteps][scheduler]!
        let depth: BitDepth = (bitDepth ?? info.bitDepth) == 16 ? .sixteen : .eight
        let sampler = Sampler(unet: folder.unet, scheduler: samplerConfig.makeScheduler(eta: eta), nullClass: info.nullClass)
        let outFolder = URL(fileURLWithPath: out)
        let side = folder.unet.config.sampleSize

        let total = wanted.count * count
        let started = Date()
        var written: [[String: Any]] = []
        var done = 0
        for name in wanted {
            let label = conditional ? classNames.firstIndex(of: name)! : nil
            let classFolder = name.isEmpty ? outFolder : outFolder.appendingPathComponent(name)
            do { try FileManager.default.createDirectory(at: classFolder, withIntermediateDirectories: true) } catch {
                throw CommandError("\(classFolder.path): cannot create (\(error.localizedDescription))")
            }
            var tiles: [[Float]] = []
            for first in stride(from: 0, to: count, by: batchSize) {
                let numbers = Array(first..<min(count, first + batchSize))
                let indices = numbers.map { (label ?? 0) << 20 + $0 }
                let images: Tensor
                do {
                    images = try sampler.sample(
                        indices: indices, labels: label.map { Array(repeating: $0, count: numbers.count) },
                        seed: seed, steps: stepCount, guidanceScale: guidanceScale,
                        progress: { step in
                            showProgress(done: done, total: total, step: step, steps: stepCount, started: started)
                        })
                } catch {
                    throw CommandError(error.description)
                }
                let perImage = side * side
                for (b, number) in numbers.enumerated() {
                    let pixels = Array(UnsafeBufferPointer(start: images.data + b * perImage, count: perImage))
                    let fileName = name.isEmpty ? String(format: "%06d.png", number) : "\(name)-\(String(format: "%06d", number)).png"
                    let path = classFolder.appendingPathComponent(fileName).path
                    do { try PNGEncoder.write(GrayImage(width: side, height: side, bitDepth: depth, floats: pixels), to: path) } catch {
                        throw CommandError("\(error.path): \(error.reason)")
                    }
                    if grid { tiles.append(pixels) }
                    written.append(["file": name.isEmpty ? fileName : "\(name)/\(fileName)", "class": name,
                                    "noise_index": indices[b]])
                }
                done += numbers.count
            }
            if grid {
                let sheet = ImageGrid.tile(tiles, side: side, columns: min(8, tiles.count))
                let gridName = name.isEmpty ? "grid.png" : "grid-\(name).png"
                do { try PNGEncoder.write(sheet, to: outFolder.appendingPathComponent(gridName).path) } catch {
                    throw CommandError("\(error.path): \(error.reason)")
                }
            }
        }
        Terminal.endProgress()
        try writeManifest(written, to: outFolder, scheduler: samplerConfig, steps: stepCount, bitDepth: depth)
        let seconds = Date().timeIntervalSince(started)
        print("wrote \(total) images (\(depth.rawValue)-bit, \(side)x\(side)) to \(out) in \(String(format: "%.1f", seconds)) s")
    }

    private func showProgress(done: Int, total: Int, step: Int, steps: Int, started: Date) {
        guard Terminal.isInteractive else { return }
        let fraction = (Double(done) + Double(min(batchSize, total - done)) * Double(step) / Double(steps)) / Double(total)
        let elapsed = Date().timeIntervalSince(started)
        let eta = fraction > 0 ? elapsed * (1 - fraction) / fraction : .infinity
        Terminal.progress("\(Terminal.bar(fraction)) \(done)/\(total) images, step \(step)/\(steps), ETA \(Terminal.duration(eta))")
    }

    private func writeManifest(_ files: [[String: Any]], to folder: URL, scheduler: SchedulerConfig,
                               steps: Int, bitDepth: BitDepth) throws {
        let manifest: [String: Any] = [
            "model": model, "scheduler": scheduler.kind.rawValue, "steps": steps, "eta": Double(eta),
            "guidance_scale": Double(guidanceScale), "seed": String(seed), "bit_depth": bitDepth.rawValue,
            "files": files,
        ]
        do {
            try JSONSerialization.data(withJSONObject: manifest, options: [.prettyPrinted, .sortedKeys])
                .write(to: folder.appendingPathComponent("manifest.json"))
        } catch {
            throw CommandError("\(folder.path)/manifest.json: cannot write (\(error.localizedDescription))")
        }
    }
}
