/// The image file formats Phantom reads.
public enum ImageFormat: String, Sendable, Hashable, Comparable, CaseIterable, CustomStringConvertible {
    /// `.png`, through libpng.
    case png
    /// `.jpg`, `.jpeg`, through libjpeg-turbo's TurboJPEG API.
    case jpeg
    /// `.tif`, `.tiff`, through libtiff.
    case tiff

    /// The file name suffixes (lower case, without the dot) that mark this format.
    public var fileExtensions: [String] {
        switch self {
        case .png: ["png"]
        case .jpeg: ["jpg", "jpeg"]
        case .tiff: ["tif", "tiff"]
        }
    }

    /// The format a file name's extension names (any case), or nil: `"scan.JPG"` → `.jpeg`.
    public init?(fileName: String) {
        guard let dot = fileName.lastIndex(of: "."), !fileName[dot...].contains("/") else { return nil }
        let suffix = fileName[fileName.index(after: dot)...].lowercased()
        guard let format = Self.allCases.first(where: { $0.fileExtensions.contains(suffix) }) else { return nil }
        self = format
    }

    /// The format whose signature `bytes` start with, or nil: PNG's 8-byte signature,
    /// JPEG's `FF D8 FF`, or a TIFF header (`II*\0`, `MM\0*`, or BigTIFF's `II+\0`, `MM\0+`).
    public init?(signatureOf bytes: [UInt8]) {
        if bytes.starts(with: PNGDecoder.pngSignature) {
            self = .png
        } else if bytes.starts(with: JPEGDecoder.signature) {
            self = .jpeg
        } else if TIFFDecoder.hasSignature(bytes) {
            self = .tiff
        } else {
            return nil
        }
    }

    public static func < (lhs: ImageFormat, rhs: ImageFormat) -> Bool {
        allCases.firstIndex(of: lhs)! < allCases.firstIndex(of: rhs)!
    }

    /// `"PNG"`, `"JPEG"` or `"TIFF"`.
    public var description: String { rawValue.uppercased() }
}
