/// How files that hold more than pixels become images: the VOI window of DICOM files, the
/// slicing of NIfTI volumes and the tiling of whole-slide images. PNG, JPEG and TIFF files
/// ignore them.
///
/// Image folders, `phantom dataset`, `train`, `audit` and `evaluate` read through the same
/// options (``ImageSource``, ``ImageFolderDataset``).
public struct ImageReadOptions: Sendable, Hashable, Codable {
    /// DICOM: the window from modality values to display values (default: the file's own).
    public var dicomWindow: DICOMWindow
    /// NIfTI: the planes, range and foreground threshold of the kept slices.
    public var nifti: NIfTISliceOptions
    /// Whole-slide images: tile size, level, tissue threshold and cap.
    public var wholeSlide: WholeSlideOptions

    /// - Parameters:
    ///   - dicomWindow: see ``DICOMWindow``.
    ///   - nifti: see ``NIfTISliceOptions`` (default: axial slices with 10 % foreground).
    ///   - wholeSlide: see ``WholeSlideOptions`` (default: 256-pixel tiles at level 0, half tissue, at most 500).
    public init(dicomWindow: DICOMWindow = .file, nifti: NIfTISliceOptions = NIfTISliceOptions(),
                wholeSlide: WholeSlideOptions = WholeSlideOptions()) {
        self.dicomWindow = dicomWindow
        self.nifti = nifti
        self.wholeSlide = wholeSlide
    }

    private enum CodingKeys: String, CodingKey { case dicomWindow, nifti, wholeSlide }

    /// Reads options stored before a field existed with that field's default.
    public init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.init(dicomWindow: try container.decodeIfPresent(DICOMWindow.self, forKey: .dicomWindow) ?? .file,
                  nifti: try container.decodeIfPresent(NIfTISliceOptions.self, forKey: .nifti) ?? NIfTISliceOptions(),
                  wholeSlide: try container.decodeIfPresent(WholeSlideOptions.self, forKey: .wholeSlide) ?? WholeSlideOptions())
    }
}
