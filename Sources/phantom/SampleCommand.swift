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
    @Option(help: ArgumentHelp("Classifier-free guidance only at noise levels σ = √((1 − ᾱ)/ᾱ) in LOW:HIGH (e.g. 10:1000, the noisiest steps), or at every step with \"all\" (default: the model's \"guidance_interval\" in phantom.json, else all).",
                               valueName: "LOW:HIGH"))
    var guidanceInterval: GuidanceInterval?
    @Option(help: ArgumentHelp("Autoguidance: guide against this weaker model of the same classes and noise schedule (smaller, or trained for less), or \"none\" (default: the model's \"guide\" folder in phantom.json, else none).",
                               valueName: "MODEL|none"))
    var guide: String?
    @Option(help: "Autoguidance scale (1: none; default: the model's \"guide_scale\" in phantom.json, else 2).")
    var guideScale: Float?
    @Option(help: ArgumentHelp("Autoguidance only at noise levels σ in LOW:HIGH (e.g. 0:10, the cleaner steps), or at every step with \"all\" (default: the model's \"guide_interval\" in phantom.json, else all).",
                               valueName: "LOW:HIGH"))
    var guideInterval: GuidanceInterval?
    @Option(help: "Seed of the noise.") var seed: UInt64 = 0
    @Option(help: "Images per model evaluation.") var batchSize = 16
    @Option(help: "8 or 16 bits per pixel (default: the training images' depth).") var bits: Int?
    @Option(help: "The files the images are written as.") var format = SampleFileFormat.png
    @Option(help: "Also write a grid of the images, one row per class, to this PNG file.") var grid: String?
    @Option(help: ArgumentHelp("Write only shard i of n (0 <= i < n), e.g. 0/4: every n-th image of the unsharded run, starting at image i.",
                               valueName: "i/n"))
    var shard: SampleShard?
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
        var request = SamplingJob.Request(model: model, out: out)
        request.classes = classes
        request.perClass = perClass
        request.count = count
        request.scheduler = scheduler.kind
        request.steps = steps
        request.eta = eta
        request.guidanceScale = guidanceScale
        request.guidanceInterval = guidanceInterval
        request.guide = guide
        request.guideScale = guideScale
        request.guideInterval = guideInterval
        request.seed = seed
        request.batchSize = batchSize
        request.bits = bits
        request.format = format
        request.grid = grid
        request.shard = shard ?? .whole
        request.excludeMemorized = excludeMemorized
        request.maxRedraws = maxRedraws
        let started = Date()
        let summary: SamplingJob.Summary
        do {
            summary = try SamplingJob.run(request, group: group) { event in
                switch event {
                case let .drawing(done, batch, total, step, steps):
                    showProgress(done: done, batch: batch, total: total, step: step, steps: steps, started: started)
                case let .redrawing(count, attempt):
                    Terminal.endProgress()
                    Terminal.note("re-drawing \(count) images that resemble a training image (attempt \(attempt))")
                case let .leftOut(count):
                    Terminal.note("\(count) images still resemble a training image after \(maxRedraws) re-draws; they are left out")
                }
            }
        } catch {
            throw CommandError(error.description)
        }
        Terminal.endProgress()
        guard group.isLead else { return }
        let seconds = Date().timeIntervalSince(started)
        Terminal.say("wrote \(summary.written) images (\(summary.bitDepth.rawValue)-bit, \(summary.side)x\(summary.side)) to \(out) in \(String(format: "%.1f", seconds)) s")
    }

    private func showProgress(done: Int, batch: Int, total: Int, step: Int, steps: Int, started: Date) {
        guard Terminal.isInteractive else { return }
        let fraction = (Double(done) + Double(batch) * Double(step) / Double(steps)) / Double(total)
        let elapsed = Date().timeIntervalSince(started)
        let eta = fraction > 0 ? elapsed * (1 - fraction) / fraction : .infinity
        Terminal.progress("\(Terminal.bar(fraction)) \(done)/\(total) images, step \(step)/\(steps), ETA \(Terminal.duration(eta))")
    }
}
