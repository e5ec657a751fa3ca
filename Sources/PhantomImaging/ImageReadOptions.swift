/// How files that hold more than pixels become images: the VOI window of DICOM files and
/// the slicing of NIfTI volumes. PNG, JPEG and TIFF files ignore them.
///
/// Image folders, `phantom dataset`, `train`, `audit` and `evaluate` read through the same
/// options (``ImageSource``, ``ImageFolderDataset``).
public struct ImageReadOptions: Sendable, Hashable, Codable {
    /// DICOM: the window from modality values to display values (default: the file's own).
    public var dicomWindow: DICOMWindow
    /// NIfTI: the planes, range and foreground threshold of the kept slices.
    public var nifti: NIfTISliceOptions

    /// - Parameters:
    ///   - dicomWindow: see ``DICOMWindow``.
    ///   - nifti: see ``NIfTISliceOptions`` (default: axial slices with 10 % foreground).
    public init(dicomWindow: DICOMWindow = .file, nifti: NIfTISliceOptions = NIfTISliceOptions()) {
        self.dicomWindow = dicomWindow
        self.nifti = nifti
    }
}
