import PhantomImaging

/// The two image folders of an audit (``AuditJob``), loaded at one resolution, with notes on
/// what had to be resized.
public struct AuditInputs {
    public let training: ImageFolderDataset
    public let samples: ImageFolderDataset
    public let notes: [String]

    /// The resolution tried first when none is given; a training folder at another
    /// (single) size is then loaded a second time at its own size.
    private static let usualResolution = 64

    /// Loads `trainFolder` and `samplesFolder` at `resolution`, or at the training
    /// images' own size when they all share one; DICOM and NIfTI training files are read
    /// with `reading`.
    ///
    /// - Throws: ``AuditError`` when the training images come in several sizes and no
    ///   resolution is given; ``ImagingError`` when a folder cannot be loaded.
    public static func load(trainFolder: String, samplesFolder: String, resolution: Int?, reading: ImageReadOptions) throws -> AuditInputs {
        var training = try ImageFolderDataset.load(root: trainFolder, resolution: resolution ?? usualResolution, reading: reading)
        if resolution == nil {
            let sizes = training.report.sizeHistogram
            guard sizes.count == 1, let size = sizes.keys.first else {
                throw AuditError(
                    "\(trainFolder): training images come in \(sizes.count) sizes (\(describe(sizes))); "
                        + "choose the resolution to compare at with --resolution")
            }
            let side = min(size.width, size.height)
            if side != training.resolution {
                training = try ImageFolderDataset.load(root: trainFolder, resolution: side, reading: reading)
            }
        }
        let side = training.resolution
        let samples = try ImageFolderDataset.load(root: samplesFolder, resolution: side)
        let notes = [
            resizeNote(training.report, what: "training images", side: side),
            resizeNote(samples.report, what: "samples", side: side),
        ].compactMap { $0 }
        return AuditInputs(training: training, samples: samples, notes: notes)
    }

    /// `"resized 12 samples (128x128: 12) to 64x64"`, or nil when all were that size.
    private static func resizeNote(_ report: DatasetReport, what: String, side: Int) -> String? {
        let target = ImageSize(width: side, height: side)
        let others = report.sizeHistogram.filter { $0.key != target }
        guard !others.isEmpty else { return nil }
        let count = others.values.reduce(0, +)
        return "centre-cropped and resized \(count) \(what) (\(describe(others))) to \(target)"
    }

    /// `"64x64: 10, 128x128: 5"`, the most common sizes first (at most four).
    private static func describe(_ sizes: [ImageSize: Int]) -> String {
        let ordered = sizes.sorted { ($1.value, $0.key) < ($0.value, $1.key) }
        let shown = ordered.prefix(4).map { "\($0.key): \($0.value)" }
        return (shown + (ordered.count > 4 ? ["…"] : [])).joined(separator: ", ")
    }
}
