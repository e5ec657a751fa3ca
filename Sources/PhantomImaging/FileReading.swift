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

/// The VOI window a DICOM file's frames were rendered with: which kind, and its center and
/// width when one window served every frame.
public struct DICOMAppliedWindow: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// Where the window came from.
    public enum Kind: String, Sendable, Hashable, CaseIterable {
        /// The file's own Window Center/Width (or VOI LUT).
        case file
        /// The window given by `--window C,W`.
        case fixed
        /// Each frame's 1st to 99th percentile: asked for (`--window auto`), or the fallback of
        /// ``DICOMWindow/file`` for a file without a window.
        case percentiles
    }

    public var kind: Kind
    /// Center and width of the window (in modality units: Hounsfield units for CT), when one
    /// served every frame; nil for a VOI LUT and for per-frame percentiles.
    public var center: Double?, width: Double?

    public init(kind: Kind, center: Double? = nil, width: Double? = nil) {
        self.kind = kind
        self.center = center
        self.width = width
    }

    /// Per-frame percentiles (no single window).
    public static let percentiles = DICOMAppliedWindow(kind: .percentiles)

    /// `"file's own 40/400"`, `"file's own (VOI LUT)"`, `"given 40/400"` or `"percentiles"`.
    public var description: String {
        let values = center.flatMap { c in width.map { w in "\(Self.format(c))/\(Self.format(w))" } }
        switch kind {
        case .file: return values.map { "file's own \($0)" } ?? "file's own (VOI LUT)"
        case .fixed: return values.map { "given \($0)" } ?? "given C,W"
        case .percentiles: return "percentiles"
        }
    }

    private static func format(_ value: Double) -> String {
        value == value.rounded() && abs(value) < 1e9 ? String(Int(value)) : String(format: "%g", value)
    }

    public static func < (lhs: Self, rhs: Self) -> Bool {
        let order = { (window: Self) in Kind.allCases.firstIndex(of: window.kind)! }
        if order(lhs) != order(rhs) { return order(lhs) < order(rhs) }
        if lhs.center != rhs.center { return (lhs.center ?? -.infinity) < (rhs.center ?? -.infinity) }
        return (lhs.width ?? -.infinity) < (rhs.width ?? -.infinity)
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

    /// Adds another volume's counts.
    public static func += (total: inout SliceTally, other: SliceTally) {
        total.considered += other.considered
        total.kept += other.kept
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

    /// Adds another slide's counts.
    public static func += (total: inout TileTally, other: TileTally) {
        total.onGrid += other.onGrid
        total.tissue += other.tissue
        total.kept += other.kept
    }
}
