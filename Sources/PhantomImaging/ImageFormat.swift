/// The image file formats Phantom reads.
public enum ImageFormat: String, Sendable, Hashable, Comparable, CaseIterable, CustomStringConvertible {
    /// `.png`, through libpng.
    case png
    /// `.jpg`, `.jpeg`, through libjpeg-turbo's TurboJPEG API.
    case jpeg
    /// `.tif`, `.tiff`, through libtiff.
    case tiff
    /// `.nii`, `.nii.gz`: NIfTI volumes, read as slices (``NIfTIDecoder``).
    case nifti
    /// `.dcm`, `.dicom`, or no extension and the `DICM` preamble: DICOM, through DCMTK (``DICOMDecoder``).
    case dicom
    /// `.svs`, `.ndpi`, `.mrxs`, …, or a pyramidal TIFF: whole-slide pathology, through OpenSlide (``WholeSlideReader``).
    case wholeSlide

    /// The file name suffixes (lower case, without the dot) that mark this format.
    public var fileExtensions: [String] {
        switch self {
        case .png: ["png"]
        case .jpeg: ["jpg", "jpeg"]
        case .tiff: ["tif", "tiff"]
        case .nifti: ["nii", "nii.gz"]
        case .dicom: ["dcm", "dicom"]
        case .wholeSlide: WholeSlideReader.fileExtensions
        }
    }

    /// The format a file name's extension names (any case), or nil: `"scan.JPG"` → `.jpeg`,
    /// `"brain.nii.gz"` → `.nifti` (but `"notes.gz"` → nil).
    public init?(fileName: String) {
        let name = (fileName.lastIndex(of: "/").map { fileName[fileName.index(after: $0)...] } ?? fileName[...]).lowercased()
        guard let format = Self.allCases.first(where: { format in
            format.fileExtensions.contains { name.hasSuffix("." + $0) }
        }) else { return nil }
        self = format
    }

    /// The format whose signature `bytes` start with, or nil: PNG's 8-byte signature,
    /// JPEG's `FF D8 FF`, a TIFF header (`II*\0`, `MM\0*`, or BigTIFF's `II+\0`, `MM\0+`), or
    /// an uncompressed single-file NIfTI-1/NIfTI-2 header (`sizeof_hdr` 348 or 540 and its
    /// magic), or DICOM's 128-byte preamble and `DICM`. A gzip stream is not a signature: `.nii.gz` is known by its extension.
    public init?(signatureOf bytes: [UInt8]) {
        if DICOMDecoder.hasSignature(bytes) {
            // First: a DICOM file's 128-byte preamble may itself hold a TIFF header (files
            // that are both), and `DICM` at 128 is the more specific mark.
            self = .dicom
        } else if bytes.starts(with: PNGDecoder.pngSignature) {
            self = .png
        } else if bytes.starts(with: JPEGDecoder.signature) {
            self = .jpeg
        } else if TIFFDecoder.hasSignature(bytes) {
            self = .tiff
        } else if NIfTIDecoder.hasSignature(bytes) {
            self = .nifti
        } else {
            return nil
        }
    }

    public static func < (lhs: ImageFormat, rhs: ImageFormat) -> Bool {
        allCases.firstIndex(of: lhs)! < allCases.firstIndex(of: rhs)!
    }

    /// `"PNG"`, `"JPEG"`, `"TIFF"`, `"NIfTI"`, `"DICOM"` or `"whole-slide"`.
    public var description: String {
        switch self {
        case .nifti: "NIfTI"
        case .wholeSlide: "whole-slide"
        default: rawValue.uppercased()
        }
    }
}
