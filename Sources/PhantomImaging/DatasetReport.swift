/// Width × height of an image, e.g. `64x64`.
public struct ImageSize: Sendable, Hashable, Comparable, CustomStringConvertible {
    public var width: Int
    public var height: Int

    public init(width: Int, height: Int) {
        self.width = width
        self.height = height
    }

    /// Ordered by width, then height.
    public static func < (lhs: ImageSize, rhs: ImageSize) -> Bool {
        (lhs.width, lhs.height) < (rhs.width, rhs.height)
    }

    /// `"<width>x<height>"`.
    public var description: String { "\(width)x\(height)" }
}

/// What loading an image folder found: classes, sizes, bit depths, and every file
/// that was skipped, ignored or unreadable.
public struct DatasetReport: Sendable {
    /// One class and how many of its images were loaded.
    public struct ClassSummary: Sendable, Hashable {
        public var name: String
        public var imageCount: Int
    }

    /// The folder as given.
    public var root: String
    /// The training resolution images were resized to.
    public var resolution: Int
    /// Images loaded.
    public var imageCount: Int
    /// Classes in label order; empty for an unlabeled (flat) folder.
    public var classes: [ClassSummary]
    /// The bit depth the images are held at (16 if any source is 16-bit); nil if none loaded.
    public var storedBitDepth: BitDepth?
    /// Original image sizes of the loaded images.
    public var sizeHistogram: [ImageSize: Int]
    /// Source bit depths of the loaded images (files below 8 bits count as 8; float TIFF
    /// pages and NIfTI slices, mapped to 16 bits, count as 16).
    public var bitDepthHistogram: [BitDepth: Int]
    /// What was read per file format: files, images, and what DICOM, NIfTI and whole-slide
    /// reading chose (windows applied, slices kept, tiles skipped).
    public var formats: [ImageFormat: FormatSummary]
    /// Loaded images per file format (each page of a multi-page TIFF, each frame of a DICOM
    /// file, each kept slice of a NIfTI volume and each tile of a slide counts).
    public var formatHistogram: [ImageFormat: Int] { formats.mapValues(\.images) }
    /// Files skipped because they are not images of a readable format (no `.png`,
    /// `.jpg`, `.jpeg`, `.tif`, `.tiff`, `.nii` or `.nii.gz` extension); hidden files are
    /// not counted.
    public var skippedNonPNGCount: Int
    /// Image files that could not be read, with the reason.
    public var problems: [FileIssue]
    /// Files deliberately left out, with the reason (image files directly in a root that
    /// has class subfolders).
    public var ignored: [FileIssue]

    /// What was read from the files of one format.
    public struct FormatSummary: Sendable, Hashable {
        /// Files read (a NIfTI volume, a slide, a multi-page TIFF each count once).
        public var files = 0
        /// Images they gave.
        public var images = 0
        /// DICOM: files per window applied.
        public var windows: [DICOMAppliedWindow: Int] = [:]
        /// NIfTI: slices considered and kept, over all volumes.
        public var slices = SliceTally()
        /// Whole-slide: tiles on the grid, with tissue and kept, over all slides.
        public var tiles = TileTally()

        public init() {}

        /// Adds one file's reading and image count.
        mutating func add(_ reading: FileReading, images: Int) {
            files += 1
            self.images += images
            switch reading.detail {
            case .none: break
            case .dicom(let window): windows[window, default: 0] += 1
            case .nifti(let tally): slices += tally
            case .wholeSlide(let tally): tiles += tally
            }
        }
    }

    /// True when labels come from class subfolders.
    public var isLabeled: Bool { !classes.isEmpty }

    /// Loads the folder as ``ImageFolderDataset/load(root:resolution:skipBad:maxPixels:reading:)``
    /// does and returns its report without judging it: unreadable files are listed in
    /// ``problems`` rather than thrown. Call ``validate(skipBad:)`` to judge.
    ///
    /// - Throws: ``ImagingError`` when the folder is missing, unlistable or has no image file.
    public init(folder root: String, resolution: Int, maxPixels: Int = PNGDecoder.defaultMaxPixels,
                reading: ImageReadOptions = ImageReadOptions()) throws(ImagingError) {
        self = try ImageFolderDataset.loadUnvalidated(root: root, resolution: resolution, maxPixels: maxPixels,
                                                      reading: reading).report
    }

    init(
        root: String, resolution: Int, imageCount: Int, classes: [ClassSummary], storedBitDepth: BitDepth?,
        sizeHistogram: [ImageSize: Int], bitDepthHistogram: [BitDepth: Int], formats: [ImageFormat: FormatSummary],
        skippedNonPNGCount: Int, problems: [FileIssue], ignored: [FileIssue]
    ) {
        self.root = root
        self.resolution = resolution
        self.imageCount = imageCount
        self.classes = classes
        self.storedBitDepth = storedBitDepth
        self.sizeHistogram = sizeHistogram
        self.bitDepthHistogram = bitDepthHistogram
        self.formats = formats
        self.skippedNonPNGCount = skippedNonPNGCount
        self.problems = problems
        self.ignored = ignored
    }

    /// Whether a dataset with this report may be used.
    ///
    /// - Throws: ``ImagingError/Kind/unreadableImages`` (listing every problem in
    ///   ``ImagingError/issues``) when some image file could not be read and `skipBad` is false;
    ///   ``ImagingError/Kind/noImages`` when no image was loaded.
    public func validate(skipBad: Bool) throws(ImagingError) {
        if !problems.isEmpty && !skipBad {
            let files = problems.count == 1 ? "1 image file" : "\(problems.count) image files"
            throw ImagingError(.unreadableImages, path: root, reason: "\(files) could not be read", issues: problems)
        }
        if imageCount == 0 {
            throw ImagingError(
                .noImages, path: root, reason: "no readable images (\(problems.count) unreadable)")
        }
    }
}
