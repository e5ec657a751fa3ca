import Dispatch

/// Grayscale images loaded from a folder laid out as `ROOT/<class>/**/*.{png,jpg,tif,nii.gz}`,
/// made square (centre cropped, or padded: ``ImageReadOptions/squareFit``) and resized to one
/// training resolution, held compactly in memory.
///
/// Layout:
/// - each first-level subfolder containing image files (at any depth) is a class; class
///   names are sorted and a class's position is its label, so labels are stable;
/// - a folder with image files only directly inside it is one unlabeled class
///   (``isLabeled`` is false, ``label(at:)`` returns nil);
/// - if both exist, the image files directly in the root are ignored and listed in
///   ``DatasetReport/ignored``;
/// - names starting with "." are ignored; other files are skipped and counted.
///
/// Files: PNG, JPEG, TIFF, NIfTI and DICOM, read by ``ImageSource`` (any mix, in any folder). A
/// file holding several images (a multi-page TIFF) gives one dataset image per page, each
/// with the relative path `"<file>#<page>"`, pages numbered from 1 in file order
/// (``ImageSource/imagePath(_:page:of:)``); a one-image file keeps its plain path. A NIfTI
/// volume gives its kept axial slices (default ``NIfTISliceOptions``), each named
/// `"<file>#axial-042"` by its index in the stack (``ImageSource/imagePath(_:name:)``).
/// `maxPixels` applies to each page or slice, and to a volume's voxels; one page or one
/// volume at a time is held at full size.
///
/// Storage: all images share one contiguous array of `resolution * resolution` samples
/// per image, 8-bit unless some source is 16-bit, in which case everything is held at
/// 16 bits with 8-bit images scaled by 257 (their floats are unchanged). 100 000 images
/// at 64×64 take 410 MB at 8 bits.
///
/// Images are decoded on all cores with `DispatchQueue.concurrentPerform`; their order
/// (by label, then relative path) does not depend on the thread count.
public struct ImageFolderDataset: Sendable {
    /// The folder as given.
    public let root: String
    /// Width and height of every stored image.
    public let resolution: Int
    /// Sorted class names; label `i` is `classNames[i]`. Empty when unlabeled.
    public let classNames: [String]
    /// What loading found; see ``DatasetReport``.
    public let report: DatasetReport
    private let relativePaths: [String]
    /// One label per image, or empty when unlabeled.
    private let labels: [Int]
    private let store: GrayImage.Samples

    /// Loads every image file below `root`.
    ///
    /// - Parameters:
    ///   - resolution: the side images are centre cropped and resized to.
    ///   - skipBad: leave out files that cannot be read (they stay listed in
    ///     ``DatasetReport/problems``) instead of failing.
    ///   - maxPixels: the largest source image (or TIFF page) accepted, in pixels.
    ///   - reading: the DICOM window and NIfTI slicing (``ImageReadOptions``).
    /// - Precondition: `resolution > 0`.
    /// - Throws: ``ImagingError`` when the folder is missing or has no image file, when
    ///   some file is unreadable and `skipBad` is false (``ImagingError/issues`` lists them
    ///   all), or when no image could be loaded.
    public static func load(
        root: String, resolution: Int, skipBad: Bool = false, maxPixels: Int = PNGDecoder.defaultMaxPixels,
        reading: ImageReadOptions = ImageReadOptions()
    ) throws(ImagingError) -> ImageFolderDataset {
        let dataset = try loadUnvalidated(root: root, resolution: resolution, maxPixels: maxPixels, reading: reading)
        try dataset.report.validate(skipBad: skipBad)
        return dataset
    }

    /// The number of images.
    public var count: Int { relativePaths.count }

    /// True when labels come from class subfolders.
    public var isLabeled: Bool { !classNames.isEmpty }

    /// The bit depth images are stored at.
    public var bitDepth: BitDepth { store.bitDepth }

    /// Floats per image: `resolution * resolution`.
    public var floatsPerImage: Int { resolution * resolution }

    /// The label of image `index`, an index into ``classNames``; nil when unlabeled.
    public func label(at index: Int) -> Int? {
        labels.isEmpty ? nil : labels[index]
    }

    /// The path of image `index` below ``root``; `"<file>#<page>"` for a page of a
    /// multi-page file.
    public func relativePath(at index: Int) -> String { relativePaths[index] }

    /// Image `index` as stored (resized, at ``bitDepth``).
    public func image(at index: Int) -> GrayImage {
        let range = sampleRange(of: index)
        switch store {
        case .uint8(let values):
            return GrayImage(width: resolution, height: resolution, samples: .uint8(Array(values[range])))
        case .uint16(let values):
            return GrayImage(width: resolution, height: resolution, samples: .uint16(Array(values[range])))
        }
    }

    /// Writes image `index` as ``floatsPerImage`` floats in [-1, 1], row-major, to
    /// `destination` (for example one slot of a batch buffer).
    ///
    /// - Precondition: `0 <= index < count`; `destination` has room for ``floatsPerImage``.
    public func writeFloats(index: Int, into destination: UnsafeMutablePointer<Float>) {
        let range = sampleRange(of: index)
        switch store {
        case .uint8(let values):
            values.withUnsafeBufferPointer { UnitRange.write(UnsafeBufferPointer(rebasing: $0[range]), into: destination) }
        case .uint16(let values):
            values.withUnsafeBufferPointer { UnitRange.write(UnsafeBufferPointer(rebasing: $0[range]), into: destination) }
        }
    }

    /// Image `index` as floats in [-1, 1]; see ``writeFloats(index:into:)``.
    public func floats(index: Int) -> [Float] {
        [Float](unsafeUninitializedCapacity: floatsPerImage) { buffer, initialized in
            if let base = buffer.baseAddress { writeFloats(index: index, into: base) }
            initialized = floatsPerImage
        }
    }

    /// Writes every image, in order, as floats in [-1, 1]: `count * floatsPerImage`
    /// floats, image `i` starting at `i * floatsPerImage`.
    ///
    /// - Precondition: `destination` has room for `count * floatsPerImage` floats.
    public func writeAllFloats(into destination: UnsafeMutablePointer<Float>) {
        for index in 0..<count {
            writeFloats(index: index, into: destination + index * floatsPerImage)
        }
    }

    private func sampleRange(of index: Int) -> Range<Int> {
        precondition(index >= 0 && index < count, "image index \(index) out of range 0..<\(count)")
        return (index * floatsPerImage)..<((index + 1) * floatsPerImage)
    }

    private init(
        root: String, resolution: Int, classNames: [String], report: DatasetReport,
        relativePaths: [String], labels: [Int], store: GrayImage.Samples
    ) {
        self.root = root
        self.resolution = resolution
        self.classNames = classNames
        self.report = report
        self.relativePaths = relativePaths
        self.labels = labels
        self.store = store
    }
}

extension ImageFolderDataset {
    /// One source image after decoding and preprocessing.
    private struct Decoded: Sendable {
        var image: GrayImage
        var originalSize: ImageSize
        var sourceBitDepth: BitDepth
        /// The image's name inside its file (a NIfTI slice's), or nil.
        var name: String?
    }

    /// The images of one file, in order, and how it was read.
    private struct DecodedFile: Sendable {
        var reading: FileReading
        var pages: [Decoded]
    }

    /// Images decoded per parallel round; bounds the memory held besides the store.
    private static let chunkSize = 512

    /// Loads the folder as ``load(root:resolution:skipBad:maxPixels:reading:)`` does, but
    /// records unreadable files in ``report`` instead of failing; call
    /// ``DatasetReport/validate(skipBad:)`` to judge. The dataset holds the readable images.
    ///
    /// - Throws: ``ImagingError`` when the folder is missing, unlistable or has no image file.
    public static func loadUnvalidated(root: String, resolution: Int, maxPixels: Int,
                                reading: ImageReadOptions) throws(ImagingError) -> ImageFolderDataset {
        precondition(resolution > 0, "resolution must be positive")
        let layout = try ImageFolderLayout(scanning: root)
        var store = PixelStoreBuilder(expectedSampleCount: layout.entries.count * resolution * resolution)
        var relativePaths: [String] = []
        var labels: [Int] = []
        var classCounts = [Int](repeating: 0, count: layout.classNames.count)
        var sizes: [ImageSize: Int] = [:]
        var depths: [BitDepth: Int] = [:]
        var formats: [ImageFormat: DatasetReport.FormatSummary] = [:]
        var problems: [FileIssue] = []

        for chunkStart in stride(from: 0, to: layout.entries.count, by: chunkSize) {
            let chunk = layout.entries[chunkStart..<min(chunkStart + chunkSize, layout.entries.count)]
            let paths = chunk.map { ImageFolderLayout.join(root, $0.relativePath) }
            for (entry, outcome) in zip(chunk, decodeInParallel(paths, resolution: resolution, maxPixels: maxPixels, reading: reading)) {
                switch outcome {
                case .success(let file):
                    for (page, decoded) in file.pages.enumerated() {
                        store.append(decoded.image)
                        relativePaths.append(
                            decoded.name.map { ImageSource.imagePath(entry.relativePath, name: $0) }
                                ?? ImageSource.imagePath(entry.relativePath, page: page + 1, of: file.pages.count))
                        if let label = entry.label {
                            labels.append(label)
                            classCounts[label] += 1
                        }
                        sizes[decoded.originalSize, default: 0] += 1
                        depths[decoded.sourceBitDepth, default: 0] += 1
                    }
                    formats[file.reading.format, default: DatasetReport.FormatSummary()].add(file.reading, images: file.pages.count)
                case .failure(let error):
                    problems.append(FileIssue(path: error.path, reason: error.reason))
                }
            }
        }

        let samples = store.samples
        let report = DatasetReport(
            root: root, resolution: resolution, imageCount: relativePaths.count,
            classes: zip(layout.classNames, classCounts).map { DatasetReport.ClassSummary(name: $0, imageCount: $1) },
            storedBitDepth: relativePaths.isEmpty ? nil : samples.bitDepth,
            sizeHistogram: sizes, bitDepthHistogram: depths, formats: formats,
            skippedNonPNGCount: layout.skippedNonPNGCount, problems: problems,
            ignored: layout.ignoredRootPNGs.map {
                FileIssue(path: ImageFolderLayout.join(root, $0), reason: "ignored: image outside the class subfolders")
            })
        return ImageFolderDataset(
            root: root, resolution: resolution, classNames: layout.classNames, report: report,
            relativePaths: relativePaths, labels: labels, store: samples)
    }

    /// Decodes and preprocesses `paths` on all cores; results are in `paths` order.
    private static func decodeInParallel(
        _ paths: [String], resolution: Int, maxPixels: Int, reading: ImageReadOptions
    ) -> [Result<DecodedFile, ImagingError>] {
        let notDecoded = ImagingError(.corrupt, path: "", reason: "not decoded")
        var outcomes = [Result<DecodedFile, ImagingError>](repeating: .failure(notDecoded), count: paths.count)
        outcomes.withUnsafeMutableBufferPointer { buffer in
            let slots = DisjointWrites(buffer)
            DispatchQueue.concurrentPerform(iterations: paths.count) { index in
                let outcome = Result { () throws(ImagingError) -> DecodedFile in
                    var pages: [Decoded] = []
                    let fileReading = try ImageSource.forEachNamedImage(path: paths[index], maxPixels: maxPixels, reading: reading) { name, source in
                        pages.append(Decoded(
                            image: source.square(reading.squareFit, resizedTo: resolution),
                            originalSize: ImageSize(width: source.width, height: source.height),
                            sourceBitDepth: source.bitDepth, name: name))
                    }
                    return DecodedFile(reading: fileReading, pages: pages)
                }
                slots.write(outcome, at: index)
            }
        }
        return outcomes
    }
}
