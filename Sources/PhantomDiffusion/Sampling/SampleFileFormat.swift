/// The files a sampling run writes its images as.
public enum SampleFileFormat: String, Sendable, CaseIterable {
    /// PNG files, `<class>/<class>-<n>.png`, 8 or 16 bits.
    case png
    /// DICOM Secondary Capture files, `<class>/<class>-<n>.dcm`, marked synthetic (Conversion
    /// Type SYN) with no patient data.
    case dicom

    /// The file name extension.
    public var fileExtension: String {
        switch self {
        case .png: return "png"
        case .dicom: return "dcm"
        }
    }
}
