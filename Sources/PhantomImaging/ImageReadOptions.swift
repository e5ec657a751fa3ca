/// How files become training images: the VOI window of DICOM files, the slicing of NIfTI
/// volumes, the tiling of whole-slide images (which PNG, JPEG and TIFF files ignore), and
/// how every image is made square.
///
/// Image folders, `phantom dataset`, `train`, `audit` and `evaluate` read through the same
/// options (``ImageSource``, ``ImageFolderDataset``).
public struct ImageReadOptions: Sendable, Hashable, Codable {
    /// DICOM: the window from modality values to display values (default: the file's own).
    /// A fixed `C,W` windows NIfTI volumes too (their voxel values, e.g. Hounsfield units),
    /// unless ``nifti`` has its own ``NIfTISliceOptions/valueWindow`` (``niftiSlicing``).
    public var dicomWindow: DICOMWindow
    /// NIfTI: the planes, range and foreground threshold of the kept slices.
    public var nifti: NIfTISliceOptions
    /// Whole-slide images: tile size, level, tissue threshold and cap.
    public var wholeSlide: WholeSlideOptions
    /// How a non-square image is made square before resizing (default: centre crop).
    public var squareFit: SquareFit

    /// - Parameters:
    ///   - dicomWindow: see ``DICOMWindow``.
    ///   - nifti: see ``NIfTISliceOptions`` (default: axial slices with 10 % foreground).
    ///   - wholeSlide: see ``WholeSlideOptions`` (default: 256-pixel tiles at level 0, half tissue, at most 500).
    ///   - squareFit: see ``SquareFit``.
    public init(dicomWindow: DICOMWindow = .file, nifti: NIfTISliceOptions = NIfTISliceOptions(),
                wholeSlide: WholeSlideOptions = WholeSlideOptions(), squareFit: SquareFit = .crop) {
        self.dicomWindow = dicomWindow
        self.nifti = nifti
        self.wholeSlide = wholeSlide
        self.squareFit = squareFit
    }

    /// How NIfTI volumes are cut: ``nifti``, windowed by a fixed ``dicomWindow`` when it sets
    /// no value window of its own.
    public var niftiSlicing: NIfTISliceOptions {
        var slicing = nifti
        slicing.valueWindow = nifti.valueWindow ?? dicomWindow.valueRange
        return slicing
    }

    private enum CodingKeys: String, CodingKey { case dicomWindow, nifti, wholeSlide, squareFit }

    /// Reads options stored before a field existed with that field's default.
    public init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.init(dicomWindow: try container.decodeIfPresent(DICOMWindow.self, forKey: .dicomWindow) ?? .file,
                  nifti: try container.decodeIfPresent(NIfTISliceOptions.self, forKey: .nifti) ?? NIfTISliceOptions(),
                  wholeSlide: try container.decodeIfPresent(WholeSlideOptions.self, forKey: .wholeSlide) ?? WholeSlideOptions(),
                  squareFit: try container.decodeIfPresent(SquareFit.self, forKey: .squareFit) ?? .crop)
    }
}

/// How a non-square image becomes square before it is resized to the training resolution.
public enum SquareFit: String, Sendable, Hashable, Codable, CaseIterable {
    /// The centred square of side `min(width, height)`: photographs and tiles, where the
    /// edges matter least.
    case crop
    /// The whole image centred on black to side `max(width, height)`: scans whose anatomy
    /// reaches the long edges (a sagittal head slice, a chest X-ray), which a crop would cut.
    case pad
}
