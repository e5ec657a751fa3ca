import ArgumentParser
import PhantomImaging

/// How DICOM and NIfTI files become images, shared by the commands that read image folders
/// (as an `@OptionGroup`): `--window`, and the NIfTI slicing options.
struct ReadingOptions: ParsableArguments {
    @Option(help: ArgumentHelp(
        "DICOM display window: file (the file's own Window Center/Width, else auto; default), auto (each frame's 1st to 99th percentile), or C,W in modality units, e.g. 40,80 for brain CT or 40,400 for soft tissue.",
        valueName: "file|auto|C,W"))
    var window: DICOMWindow = .file

    @Option(help: ArgumentHelp("NIfTI: the planes to cut, comma-separated (default axial).", valueName: "axial,coronal,sagittal"))
    var planes: PlaneList?

    @Option(help: ArgumentHelp("NIfTI: the part of each plane's stack to keep, as fractions from its first slice (default 0:1).",
                               valueName: "from:to"))
    var sliceRange: FractionRange?

    @Option(help: ArgumentHelp("NIfTI: keep slices with at least this fraction of foreground pixels (default 0.1; 0 keeps all).",
                               valueName: "fraction"))
    var minForeground: Double?

    func validate() throws {
        if let minForeground, !(0...1).contains(minForeground) {
            throw ValidationError("--min-foreground must be in [0, 1], got \(minForeground)")
        }
    }

    /// The options as the image-source layer takes them.
    var options: ImageReadOptions {
        var nifti = NIfTISliceOptions()
        if let planes { nifti.planes = planes.planes }
        if let sliceRange { nifti.sliceRange = sliceRange.range }
        if let minForeground { nifti.minForegroundFraction = minForeground }
        return ImageReadOptions(dicomWindow: window, nifti: nifti)
    }

    /// The options given, as spelt on the command line (for notes on resume).
    var given: [String] {
        [(window != .file, "--window"), (planes != nil, "--planes"), (sliceRange != nil, "--slice-range"),
         (minForeground != nil, "--min-foreground")].filter(\.0).map(\.1)
    }
}

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

/// `--slice-range 0.2:0.8`: a range of fractions within [0, 1].
struct FractionRange: ExpressibleByArgument {
    let range: ClosedRange<Double>

    init?(argument: String) {
        let parts = argument.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2, let from = Double(parts[0]), let to = Double(parts[1]),
              0 <= from, from < to, to <= 1 else { return nil }
        range = from...to
    }
}
