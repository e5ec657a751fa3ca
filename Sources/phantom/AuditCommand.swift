import ArgumentParser
import Foundation
import PhantomDiffusion
import PhantomImaging
import PhantomPrivacy
import PhantomTensor

/// `phantom audit --train DATA --samples DIR`: looks for samples that copy training
/// images.
///
/// For every sample it finds the k nearest training images by L2 distance on the
/// [-1, 1] pixels and computes the memorization ratio (distance to the nearest / mean
/// distance to the k nearest, Carlini et al. 2023). Two more ratios catch what plain
/// L2 misses: the same k neighbours compared allowing shifts of up to 2 pixels, and the
/// L2 distance over the best-matching half (left, right, top or bottom) with its own k
/// nearest, for copies of half an image. A sample is flagged when any ratio is below
/// the threshold (default 1/3). For scale it also measures each training image's
/// distance to its nearest other training image.
///
/// Prints `3 of 1000 samples flagged (0.3%)` on standard output; progress, notes and
/// distance scales go to standard error. Exit status: 0, or 3 with `--fail-on-flag`
/// when a sample is flagged; 1 on errors.
struct AuditCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit",
        abstract: "Look for samples that copy training images (nearest neighbours, memorization ratio).",
        discussion: """
            Both folders may be ImageFolder trees (class subfolders) or flat folders of images \
            (PNG, JPEG, TIFF, NIfTI or DICOM). \
            Images are compared at --resolution (default: the training images' size when \
            they all share one), centre-cropped and resized as training does. For each \
            sample: the nearest training image, the L2 distance (pixels in [-1, 1]) and the \
            ratio distance / mean distance to the k nearest; the same allowing shifts of up \
            to 2 pixels; and the same over the best-matching half (left, right, top or \
            bottom), which catches copies of half an image. A sample is flagged when any \
            ratio is below --threshold. Prints "N of M samples flagged (P%)"; exit status 3 \
            with --fail-on-flag when any sample is flagged.
            """
    )

    @Option(help: "The training image folder.") var train: String
    @Option(help: "The folder of generated samples.") var samples: String
    @Option(help: "Write the full report as JSON to this file.") var report: String?
    @Option(help: "Write flagged samples beside their training images to this PNG.") var sheet: String?
    @Option(help: "Write the first --neighbours samples beside their nearest training images (L2) to this PNG.")
    var neighboursSheet: String?
    @Option(help: "How many samples --neighbours-sheet shows.") var neighbours = 12
    @Option(help: "Neighbours whose mean distance is the scale of the ratio.")
    var k = AuditConfiguration.defaultNeighbourCount
    @Option(help: "Flag samples whose ratio (plain, shifted or half) is below this (default 1/3).")
    var threshold: Float?
    @Option(help: "Side to compare images at (default: the training images' size).") var resolution: Int?
    @Flag(help: "Exit with status 3 when any sample is flagged.") var failOnFlag = false
    @OptionGroup(title: "Reading images: DICOM windows, NIfTI slices, slide tiles, square fit") var reading: ReadingOptions
    @OptionGroup var threading: ThreadOptions

    func validate() throws {
        guard neighbours >= 1 else { throw ValidationError("--neighbours must be at least 1") }
        guard k >= 1 else { throw ValidationError("--k must be at least 1, got \(k)") }
        if let threshold, !(threshold > 0 && threshold.isFinite) { throw ValidationError("--threshold must be positive") }
        if let resolution, resolution < MemorizationAudit.minimumSide {
            throw ValidationError("--resolution must be at least \(MemorizationAudit.minimumSide)")
        }
    }

    func run() throws {
        threading.apply()
        do {
            let flagged = try audit()
            if failOnFlag && flagged > 0 { throw ExitCode(3) }
        } catch let error as CommandError {
            Terminal.error(error.message)
            throw ExitCode.failure
        } catch let error as ImagingError {
            for issue in error.issues { Terminal.error("\(issue.path): \(issue.reason)") }
            Terminal.error("\(error.path): \(error.reason)")
            throw ExitCode.failure
        }
    }

    /// Runs the audit, writes the outputs and returns the number of flagged samples.
    private func audit() throws -> Int {
        var request = AuditJob.Request(train: train, samples: samples)
        request.resolution = resolution
        request.reading = reading.options
        request.configuration = AuditConfiguration(neighbourCount: k, threshold: threshold ?? AuditConfiguration.defaultThreshold)
        request.report = report
        request.sheet = sheet
        request.neighboursSheet = neighboursSheet
        request.neighbourCount = neighbours
        let display = AuditProgressDisplay()
        let result: AuditResult
        do {
            result = try AuditJob.run(request, progress: { display.update($0) }) { event in
                switch event {
                case .note(let text):
                    display.finish()
                    Terminal.note(text)
                case let .compared(samples, training, side, seconds):
                    display.finish()
                    Terminal.note("compared \(samples) samples with \(training) training images at "
                                  + "\(side)x\(side) in \(String(format: "%.1f", seconds)) s")
                }
            }
        } catch let error as AuditError {
            display.finish()
            throw CommandError(error.reason)
        }
        describe(result.sampleDistances, "sample to its nearest training image")
        describe(result.trainingDistances, "training image to its nearest other")
        print(result.summary)
        return result.flaggedCount
    }

    private func describe(_ summary: DistanceSummary?, _ what: String) {
        guard let summary else { return }
        func format(_ value: Float) -> String { String(format: "%.2f", value) }
        Terminal.note(
            "L2 distance, \(what): median \(format(summary.median)) (p5 \(format(summary.percentile5)), "
                + "p95 \(format(summary.percentile95)), min \(format(summary.minimum)))")
    }
}
