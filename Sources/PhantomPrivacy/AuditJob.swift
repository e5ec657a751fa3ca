import Foundation
import PhantomImaging
import PhantomSafetensors

/// A whole memorization audit, `phantom audit --train DATA --samples DIR`, as one call.
///
/// Stages:
/// 1. Load both folders at one side (``AuditInputs``).
/// 2. Run ``MemorizationAudit`` (every sample against the training images, and each training
///    image against the others for scale).
/// 3. Write what was asked for: the JSON report (``AuditReport``), the contact sheet of the
///    flagged samples beside their closest training images, and the sheet of the first
///    samples beside their nearest training images.
public enum AuditJob {
    /// What to audit and what to write; nil paths are not written.
    public struct Request: Sendable {
        /// The training image folder and the folder of samples.
        public var train: String
        public var samples: String
        /// The side to compare at (default: the training images' own, when they share one).
        public var resolution: Int?
        /// How DICOM and NIfTI training files are read.
        public var reading = ImageReadOptions()
        public var configuration = AuditConfiguration()
        /// The JSON report.
        public var report: String?
        /// The contact sheet of the flagged samples (at most ``sheetLimit``, the most copy-like first).
        public var sheet: String?
        /// The sheet of the first ``neighbourCount`` samples beside their nearest training images.
        public var neighboursSheet: String?
        public var neighbourCount = 12

        public init(train: String, samples: String) {
            self.train = train
            self.samples = samples
        }
    }

    /// The most pairs drawn on the contact sheet.
    public static let sheetLimit = 256

    /// What an audit reports while it works.
    public enum Event: Sendable {
        /// Something the user should know (resized images, a small training set, an empty sheet).
        case note(String)
        /// The comparison is done: `samples` against `training` images at `side`×`side`.
        case compared(samples: Int, training: Int, side: Int, seconds: Double)
    }

    /// Runs `request`, writes its outputs and returns the audit's result; `progress` is called
    /// from the audit's workers, one call at a time.
    ///
    /// - Throws: ``ImagingError`` when a folder cannot be loaded (its ``ImagingError/issues``
    ///   list the unreadable files); ``AuditError`` naming the file otherwise.
    public static func run(_ request: Request, progress: (@Sendable (AuditProgress) -> Void)? = nil,
                           onEvent: (Event) -> Void = { _ in }) throws -> AuditResult {
        // 1. Inputs.
        let inputs = try AuditInputs.load(trainFolder: request.train, samplesFolder: request.samples,
                                          resolution: request.resolution, reading: request.reading)
        var notes = inputs.notes
        let k = request.configuration.neighbourCount
        if inputs.training.count < k {
            notes.append("only \(inputs.training.count) training images: the ratios use all of them instead of k = \(k)")
        }
        for note in notes { onEvent(.note(note)) }

        // 2. The audit.
        let training = AuditImages(inputs.training), samples = AuditImages(inputs.samples)
        let start = Date()
        let result = try MemorizationAudit.run(samples: samples, training: training, configuration: request.configuration,
                                               progress: progress)
        onEvent(.compared(samples: samples.count, training: training.count, side: inputs.training.resolution,
                          seconds: Date().timeIntervalSince(start)))

        // 3. Outputs.
        if let path = request.report {
            let document = AuditReport(
                result: result, resolution: inputs.training.resolution,
                samplesFolder: request.samples, sampleFiles: (0..<inputs.samples.count).map(inputs.samples.relativePath),
                trainingFolder: request.train, trainingFiles: (0..<inputs.training.count).map(inputs.training.relativePath),
                notes: notes)
            do {
                try document.json().write(to: URL(fileURLWithPath: path), options: .atomic)
            } catch {
                throw AuditError("\(path): cannot write the report (\(fileErrorReason(error, path: URL(fileURLWithPath: path))))")
            }
        }
        if let path = request.sheet {
            let flagged = result.flagged
            if flagged.isEmpty {
                onEvent(.note("no sample flagged: no contact sheet written to \(path)"))
            } else {
                if flagged.count > sheetLimit {
                    onEvent(.note("the contact sheet shows the \(sheetLimit) most copy-like of \(flagged.count) flagged samples"))
                }
                let pairs = flagged.prefix(sheetLimit).map { (sample: $0, training: result.samples[$0].strongest.training) }
                try writeSheet(pairs, samples: samples, training: training, to: path)
            }
        }
        if let path = request.neighboursSheet {
            let pairs = result.samples.prefix(request.neighbourCount).enumerated()
                .map { (sample: $0.offset, training: $0.element.nearest.training) }
            try writeSheet(Array(pairs), samples: samples, training: training, to: path)
        }
        return result
    }

    private static func writeSheet(_ pairs: [(sample: Int, training: Int)], samples: AuditImages, training: AuditImages,
                                   to path: String) throws(ImagingError) {
        if let image = ContactSheet.make(pairs: pairs, samples: samples, training: training) {
            try PNGEncoder.write(image, to: path)
        }
    }
}
