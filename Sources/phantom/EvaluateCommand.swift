import ArgumentParser
import Foundation
import PhantomEvaluation
import PhantomTensor

/// `phantom evaluate --real DATA/test --samples DIR [--train DATA/train]`: how good and
/// how useful a folder of synthetic scans is, each number beside its real reference.
struct EvaluateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "evaluate",
        abstract: "Measure synthetic images against real ones: fidelity, diversity, memorization, utility.",
        discussion: """
            A small CNN trained on --train (cached by a hash of the images and recipe, or \
            --net FILE) embeds every image. In its features: Fréchet distance, precision and \
            recall (Kynkäänniemi et al. 2019), density and coverage (Naeem et al. 2020), \
            class consistency (the share of DIR/<class>/ the network assigns to <class>) \
            and diversity (mean pairwise MS-SSIM within a class, lower is more diverse). \
            Each number is printed beside the real reference: a random subset of --train \
            with the samples' class counts, scored against --real the same way. With \
            --train the samples are also audited for copies (phantom audit); --utility \
            trains the same classifier on real, synthetic and both, and tests it on --real.
            """
    )

    @Option(help: "The real test images (DIR/<class>/*.png).") var real: String
    @Option(help: "The synthetic images (DIR/<class>/*.png, as phantom sample writes them).") var samples: String
    @Option(help: "The real training images: train the feature network, give the reference, audit for copies.")
    var train: String?
    @Option(help: "A feature network file: read if it exists, else trained on --train and written there.")
    var net: String?
    @Option(help: "Write every number as JSON to this file.") var json: String?
    @Option(help: "Write a self-contained HTML report to this file.") var html: String?
    @Option(name: .customLong("run"), help: "A training run folder whose metrics.jsonl loss curve the HTML report shows.")
    var runFolder: String?
    @Option(help: "Image side (default: the --net file's, else the samples' own).") var resolution: Int?
    @Option(help: "Seed of the reference subsets and diversity pairs.") var seed: UInt64 = 0
    @Option(help: "k of precision, recall, density and coverage.") var k = 3
    @Flag(help: "Train on real, synthetic and both, and test on --real (train-on-synthetic utility).") var utility = false
    @Option(help: "With --utility: real training images kept per class.") var limitReal: Int?
    @Option(help: "With --utility: seeds per arm.") var seeds = 3
    @Flag(help: "Skip the memorization audit.") var noAudit = false
    @Option(help: "Where trained feature networks are cached (default: ~/.cache/phantom/feature-networks).")
    var cacheDir: String?
    @OptionGroup(title: "Reading images: DICOM windows, NIfTI slices, slide tiles, square fit") var reading: ReadingOptions
    @OptionGroup var threading: ThreadOptions

    func validate() throws {
        guard k >= 1 else { throw ValidationError("--k must be at least 1") }
        guard seeds >= 1 else { throw ValidationError("--seeds must be at least 1") }
        if let limitReal, limitReal < 1 { throw ValidationError("--limit-real must be at least 1") }
        if limitReal != nil && !utility { throw ValidationError("--limit-real needs --utility") }
        if let resolution, resolution < 8 || resolution % 8 != 0 { throw ValidationError("--resolution must be a multiple of 8") }
        if train == nil && net == nil { throw ValidationError("give --train DATA/train (to train the feature network) or --net FILE") }
    }

    func run() throws {
        threading.apply()
        var request = EvaluationRequest(real: real, samples: samples)
        request.train = train
        request.network = net
        request.cacheDirectory = cacheDir ?? FeatureNetworkCache.defaultDirectory
        request.side = resolution
        request.reading = reading.options
        request.seed = seed
        request.neighbours = k
        request.memorization = !noAudit && train != nil
        if utility { request.utility = UtilityRequest(limitRealPerClass: limitReal, seeds: seeds) }
        let started = Date()
        let report: EvaluationReport
        do {
            report = try SampleEvaluation.run(request) { stage, done, total in
                let fraction = total > 0 ? Double(done) / Double(total) : 0
                Terminal.progress("\(stage): \(Terminal.bar(fraction)) \(done)/\(total), \(Terminal.duration(Date().timeIntervalSince(started)))")
            }
            Terminal.endProgress()
            if let json { try EvaluationOutput.writeJSON(report, to: json) }
            if let html { try EvaluationOutput.writeHTML(report, runFolder: runFolder, to: html) }
        } catch {
            Terminal.endProgress()
            Terminal.error(error.description)
            throw ExitCode.failure
        }
        print(EvaluationTable.text(report))
    }
}
