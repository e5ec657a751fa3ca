/// What reading one image file found besides its images: its format, and for the formats
/// that choose what to give, how they chose (``ImageSource/forEachNamedImage(path:maxPixels:reading:_:)``).
public struct FileReading: Sendable, Hashable {
    /// How the file was decoded.
    public var format: ImageFormat
    /// Format-specific choices; ``Detail/none`` for PNG, JPEG and TIFF.
    public var detail: Detail

    /// What a format with choices chose.
    public enum Detail: Sendable, Hashable {
        /// A PNG, JPEG or TIFF file: every image (page) is given.
        case none
        /// A DICOM file: the window its frames were rendered with.
        case dicom(DICOMAppliedWindow)
        /// A NIfTI volume: its slices considered and kept.
        case nifti(SliceTally)
        /// A whole-slide image: its tiles on the grid, with tissue, and kept.
        case wholeSlide(TileTally)
    }

    public init(format: ImageFormat, detail: Detail = .none) {
        self.format = format
        self.detail = detail
    }
}

/// The VOI window a DICOM file's frames were rendered with.
public enum DICOMAppliedWindow: String, Sendable, Hashable, Comparable, CaseIterable, CustomStringConvertible {
    /// The file's own Window Center/Width (or VOI LUT).
    case file
    /// The window given by `--window C,W`.
    case fixed
    /// Each frame's 1st to 99th percentile: asked for (`--window auto`), or the fallback of
    /// ``DICOMWindow/file`` for a file without a window.
    case percentiles

    /// `"file's own"`, `"given C,W"` or `"percentiles"`.
    public var description: String {
        switch self {
        case .file: "file's own"
        case .fixed: "given C,W"
        case .percentiles: "percentiles"
        }
    }

    public static func < (lhs: Self, rhs: Self) -> Bool {
        allCases.firstIndex(of: lhs)! < allCases.firstIndex(of: rhs)!
    }
}

/// How many slices of a NIfTI volume were considered and kept.
public struct SliceTally: Sendable, Hashable {
    /// Slices of the cut planes inside ``NIfTISliceOptions/sliceRanges``.
    public var considered = 0
    /// Of those, the slices with enough foreground, which were given.
    public var kept = 0

    public init(considered: Int = 0, kept: Int = 0) {
        self.considered = considered
        self.kept = kept
    }
}

/// How many tiles of a whole-slide image were cut, found to hold tissue, and kept.
public struct TileTally: Sendable, Hashable {
    /// Whole tiles on the chosen level's grid.
    public var onGrid = 0
    /// Of those, the tiles with at least ``WholeSlideOptions/minTissueFraction`` tissue; the
    /// rest are background, skipped.
    public var tissue = 0
    /// Of those, the tiles given (fewer than ``tissue`` past ``WholeSlideOptions/maxTilesPerSlide``).
    public var kept = 0

    public init(onGrid: Int = 0, tissue: Int = 0, kept: Int = 0) {
        self.onGrid = onGrid
        self.tissue = tissue
        self.kept = kept
    }
}
