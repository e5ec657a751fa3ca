import ArgumentParser
import PhantomImaging

/// How DICOM, NIfTI and whole-slide files become images, shared by the commands that read
/// image folders (as an `@OptionGroup`): `--window`, the NIfTI slicing and the slide tiling.
struct ReadingOptions: ParsableArguments {
    @Option(help: ArgumentHelp(
        "DICOM display window: file (the file's own Window Center/Width, else auto; default), auto (each frame's 1st to 99th percentile), or C,W in modality units, e.g. 40,80 for brain CT or 40,400 for soft tissue. C,W applies to NIfTI volumes too (their voxel values, e.g. Hounsfield units); otherwise a volume is windowed by its 0.5th to 99.5th percentile.",
        valueName: "file|auto|C,W"))
    var window: DICOMWindow = .file

    @Option(help: ArgumentHelp(
        "How a non-square image is made square before resizing: crop (the centred square) or pad (the whole image on black, for scans whose anatomy reaches the long edges).",
        valueName: "crop|pad"))
    var fit: SquareFit = .crop

    @Option(help: ArgumentHelp("NIfTI: the planes to cut, comma-separated (default axial).", valueName: "axial,coronal,sagittal"))
    var planes: PlaneList?

    @Option(help: ArgumentHelp("NIfTI: the parts of each plane's stack to keep, as fractions from its first slice, comma-separated (default 0:1; 0:0.4,0.6:1 holds out the middle fifth).",
                               valueName: "from:to,..."))
    var sliceRange: FractionRanges?

    @Option(help: ArgumentHelp("NIfTI: keep slices with at least this fraction of foreground pixels (default 0.1; 0 keeps all).",
                               valueName: "fraction"))
    var minForeground: Double?

    @Option(help: ArgumentHelp("Whole-slide images: tile side in pixels (default 256).", valueName: "pixels"))
    var tileSize: Int?

    @Option(help: ArgumentHelp("Whole-slide images: the pyramid level to cut (default 0, full resolution).", valueName: "level"))
    var wsiLevel: Int?

    @Option(help: ArgumentHelp("Whole-slide images: the smallest share of tissue a kept tile has (default 0.5).", valueName: "fraction"))
    var minTissue: Double?

    @Option(help: ArgumentHelp("Whole-slide images: the most tiles kept per slide, a seeded choice (default 500; 0: all).", valueName: "n"))
    var maxTilesPerSlide: Int?

    func validate() throws {
        if let tileSize, !(8...4096).contains(tileSize) { throw ValidationError("--tile-size must be in 8...4096, got \(tileSize)") }
        if let wsiLevel, wsiLevel < 0 { throw ValidationError("--wsi-level must not be negative") }
        if let minTissue, !(0...1).contains(minTissue) { throw ValidationError("--min-tissue must be in [0, 1], got \(minTissue)") }
        if let maxTilesPerSlide, maxTilesPerSlide < 0 { throw ValidationError("--max-tiles-per-slide must not be negative") }
        if let minForeground, !(0...1).contains(minForeground) {
            throw ValidationError("--min-foreground must be in [0, 1], got \(minForeground)")
        }
    }

    /// The options as the image-source layer takes them.
    var options: ImageReadOptions {
        var nifti = NIfTISliceOptions()
        if let planes { nifti.planes = planes.planes }
        if let sliceRange { nifti.sliceRanges = sliceRange.ranges }
        if let minForeground { nifti.minForegroundFraction = minForeground }
        var slide = WholeSlideOptions()
        if let tileSize { slide.tileSize = tileSize }
        if let wsiLevel { slide.level = wsiLevel }
        if let minTissue { slide.minTissueFraction = minTissue }
        if let maxTilesPerSlide { slide.maxTilesPerSlide = maxTilesPerSlide == 0 ? nil : maxTilesPerSlide }
        return ImageReadOptions(dicomWindow: window, nifti: nifti, wholeSlide: slide, squareFit: fit)
    }

    /// The options given, as spelt on the command line (for notes on resume).
    var given: [String] {
        [(window != .file, "--window"), (fit != .crop, "--fit"), (planes != nil, "--planes"), (sliceRange != nil, "--slice-range"),
         (minForeground != nil, "--min-foreground"), (tileSize != nil, "--tile-size"), (wsiLevel != nil, "--wsi-level"),
         (minTissue != nil, "--min-tissue"), (maxTilesPerSlide != nil, "--max-tiles-per-slide")].filter(\.0).map(\.1)
    }
}

extension SquareFit: ExpressibleByArgument {}

extension DICOMWindow: ExpressibleByArgument {
    public init?(argument: String) { self.init(argument) }
    public var defaultValueDescription: String { description }
}

/// `--planes axial,coronal`: anatomical planes, each once.
struct PlaneList: ExpressibleByArgument {
    let planes: [AnatomicalPlane]

    init?(argument: String) {
        let planes = argument.split(separator: ",").compactMap { AnatomicalPlane(rawValue: String($0)) }
        guard !planes.isEmpty, planes.count == argument.split(separator: ",").count, Set(planes).count == planes.count else {
            return nil
        }
        self.planes = planes
    }
}

/// `--slice-range 0.2:0.8` or `0:0.2,0.3:1`: ranges of fractions within [0, 1].
struct FractionRanges: ExpressibleByArgument {
    let ranges: [ClosedRange<Double>]

    init?(argument: String) {
        var ranges: [ClosedRange<Double>] = []
        for text in argument.split(separator: ",", omittingEmptySubsequences: false) {
            let parts = text.split(separator: ":", omittingEmptySubsequences: false)
            guard parts.count == 2, let from = Double(parts[0]), let to = Double(parts[1]),
                  0 <= from, from < to, to <= 1 else { return nil }
            ranges.append(from...to)
        }
        self.ranges = ranges
    }
}
