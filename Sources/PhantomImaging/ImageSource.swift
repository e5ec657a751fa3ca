import Foundation

/// The one entry point for reading image files, whatever their format: it picks the
/// decoder and returns the file's grayscale images.
///
/// - PNG and JPEG files hold one image; a TIFF file holds one image per page (see
///   ``TIFFDecoder``), in file order; a NIfTI volume (`.nii`, `.nii.gz`) gives its kept
///   slices (``ImageReadOptions/nifti``; by default axial, 10 % foreground), each named
///   like `"axial-042"` (see ``NIfTIDecoder``); a DICOM file gives its frames, windowed by
///   ``ImageReadOptions/dicomWindow`` (see ``DICOMDecoder``); a whole-slide image (`.svs`,
///   `.ndpi`, `.mrxs`, …, or a pyramidal TIFF) its tissue tiles (``WholeSlideReader``),
///   named like `"tile-0-1024-2048"`.
/// - The decoder is chosen by the file's signature (its first bytes), so a PNG saved as
///   `scan.jpg` is still read; when the signature is unknown, the extension's decoder
///   reports what is wrong ("not a JPEG file (no JPEG signature)"), and a file with
///   neither is refused as not an image.
/// - Every failure is an ``ImagingError`` naming the file; nothing traps on bad input.
///   Each image is checked against `maxPixels` before its pixels are allocated; for a
///   NIfTI file the whole volume's voxel count is checked too (it is held at once).
public enum ImageSource {
    /// The default ceiling on an image's `width * height`: 100 megapixels.
    public static let defaultMaxPixels = PNGDecoder.defaultMaxPixels

    /// True when `fileName` has the extension of a readable format (`.png`, `.jpg`,
    /// `.jpeg`, `.tif`, `.tiff`, `.nii`, `.nii.gz`, any case); this is how image folders
    /// pick their files.
    public static func isImageFile(_ fileName: String) -> Bool {
        ImageFormat(fileName: fileName) != nil
    }

    /// ``isImageFile(_:)``, or a file without an extension that starts with DICOM's preamble
    /// (hospital exports often name files by their instance number alone).
    public static func isImageFile(atPath path: String) -> Bool {
        if isImageFile(path) { return true }
        let name = path.split(separator: "/").last.map(String.init) ?? path
        guard !name.contains("."), let handle = FileHandle(forReadingAtPath: path) else { return false }
        defer { try? handle.close() }
        let head = (try? handle.read(upToCount: DICOMDecoder.magicOffset + 4)) ?? Data()
        return DICOMDecoder.hasSignature(Array(head))
    }

    /// Every image of the file at `path`, in order.
    ///
    /// - Parameter maxPixels: the most pixels accepted for all images of the file
    ///   together (they are held at once); checked before allocating.
    /// - Throws: ``ImagingError`` naming `path`.
    public static func read(path: String, maxPixels: Int = defaultMaxPixels,
                            reading: ImageReadOptions = ImageReadOptions()) throws(ImagingError) -> [GrayImage] {
        var images: [GrayImage] = []
        try forEachNamedImage(path: path, maxPixels: maxPixels, reading: reading) { (_, image) throws(ImagingError) in
            images.append(image)
        }
        return images
    }

    /// Every image of a file held in memory, in order; see ``read(path:maxPixels:)``.
    ///
    /// - Parameters:
    ///   - bytes: the whole file.
    ///   - path: the name used to pick a decoder when the signature is unknown, and put in errors.
    public static func decode(
        _ bytes: [UInt8], path: String, maxPixels: Int = defaultMaxPixels, reading: ImageReadOptions = ImageReadOptions()
    ) throws(ImagingError) -> [GrayImage] {
        switch try format(of: bytes, path: path) {
        case .png: [try PNGDecoder.decode(bytes, path: path, maxPixels: maxPixels)]
        case .jpeg: [try JPEGDecoder.decode(bytes, path: path, maxPixels: maxPixels)]
        case .tiff: try TIFFDecoder.decode(bytes, path: path, maxPixels: maxPixels)
        case .nifti: try NIfTIDecoder.decode(bytes, path: path, options: reading.niftiSlicing, maxPixels: maxPixels).map(\.image)
        case .dicom: try DICOMDecoder.decode(bytes, path: path, window: reading.dicomWindow, maxPixels: maxPixels)
        case .wholeSlide:
            throw ImagingError(.corrupt, path: path, reason: "whole-slide images are read from their file (ImageSource.read(path:)), not from memory")
        }
    }

    /// Calls `body` with each image of the file at `path` in order, holding one
    /// full-size image at a time; returns the file's format.
    ///
    /// - Parameter maxPixels: the most pixels accepted per image (page, slice), and the
    ///   most voxels of a NIfTI volume.
    /// - Throws: ``ImagingError`` naming `path`, or what `body` throws.
    @discardableResult
    public static func forEachImage(
        path: String, maxPixels: Int = defaultMaxPixels, reading: ImageReadOptions = ImageReadOptions(),
        _ body: (GrayImage) throws(ImagingError) -> Void
    ) throws(ImagingError) -> ImageFormat {
        try forEachNamedImage(path: path, maxPixels: maxPixels, reading: reading) { (_, image) throws(ImagingError) in try body(image) }.format
    }

    /// ``forEachImage(path:maxPixels:_:)`` with each image's name inside its file: a NIfTI
    /// slice's ``NIfTISlice/name`` (`"axial-042"`), a whole-slide tile's (`"tile-0-1024-2048"`),
    /// nil for PNG, JPEG, TIFF and DICOM images (pages and frames are numbered by
    /// ``imagePath(_:page:of:)`` once their count is known). Returns the file's format and
    /// what the format chose (``FileReading``).
    @discardableResult
    public static func forEachNamedImage(
        path: String, maxPixels: Int = defaultMaxPixels, reading: ImageReadOptions = ImageReadOptions(),
        _ body: (String?, GrayImage) throws(ImagingError) -> Void
    ) throws(ImagingError) -> FileReading {
        // Whole-slide images are read region by region from their file, never whole.
        if WholeSlideReader.isWholeSlide(path: path) {
            let tiles = try WholeSlideReader.forEachTile(path: path, options: reading.wholeSlide, maxPixels: maxPixels, body)
            return FileReading(format: .wholeSlide, detail: .wholeSlide(tiles))
        }
        let bytes = try FileBytes.readAll(path: path)
        let format = try format(of: bytes, path: path)
        switch format {
        case .png: try body(nil, PNGDecoder.decode(bytes, path: path, maxPixels: maxPixels))
        case .jpeg: try body(nil, JPEGDecoder.decode(bytes, path: path, maxPixels: maxPixels))
        case .tiff:
            try TIFFDecoder.forEachPage(bytes, path: path, maxPixels: maxPixels) { (page) throws(ImagingError) in
                try body(nil, page)
            }
        case .nifti:
            let slices = try NIfTIDecoder.forEachSlice(bytes, path: path, options: reading.niftiSlicing, maxPixels: maxPixels) { (slice) throws(ImagingError) in
                try body(slice.name, slice.image)
            }
            return FileReading(format: format, detail: .nifti(slices))
        case .dicom:
            let window = try DICOMDecoder.forEachFrame(bytes, path: path, window: reading.dicomWindow, maxPixels: maxPixels) { (frame) throws(ImagingError) in
                try body(nil, frame)
            }
            return FileReading(format: format, detail: .dicom(window))
        case .wholeSlide:
            throw ImagingError(.corrupt, path: path, reason: "not a whole-slide image OpenSlide can read")
        }
        return FileReading(format: format)
    }

    /// How a dataset names image `page` (1-based) of a file: the file's own path when it
    /// holds one image, `"<path>#<page>"` when it holds `pageCount > 1`
    /// (`"stack.tif#2"` is the second image of `stack.tif`).
    public static func imagePath(_ path: String, page: Int, of pageCount: Int) -> String {
        pageCount > 1 ? "\(path)#\(page)" : path
    }

    /// How a dataset names a named image of a file (a NIfTI slice): `"<path>#<name>"`,
    /// e.g. `"brain.nii.gz#axial-042"`, however many the file holds.
    public static func imagePath(_ path: String, name: String) -> String {
        "\(path)#\(name)"
    }

    /// The decoder for `bytes`: by signature, else by `path`'s extension.
    static func format(of bytes: [UInt8], path: String) throws(ImagingError) -> ImageFormat {
        if let format = ImageFormat(signatureOf: bytes) ?? ImageFormat(fileName: path) { return format }
        let reason = bytes.isEmpty ? "empty file (0 bytes)" : "not an image file (no PNG, JPEG, TIFF, NIfTI or DICOM signature)"
        throw ImagingError(.corrupt, path: path, reason: reason)
    }
}
