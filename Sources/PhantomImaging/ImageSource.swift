/// The one entry point for reading image files, whatever their format: it picks the
/// decoder and returns the file's grayscale images.
///
/// - PNG and JPEG files hold one image; a TIFF file holds one image per page (see
///   ``TIFFDecoder``), in file order.
/// - The decoder is chosen by the file's signature (its first bytes), so a PNG saved as
///   `scan.jpg` is still read; when the signature is unknown, the extension's decoder
///   reports what is wrong ("not a JPEG file (no JPEG signature)"), and a file with
///   neither is refused as not an image.
/// - Every failure is an ``ImagingError`` naming the file; nothing traps on bad input.
///   Each image is checked against `maxPixels` before its pixels are allocated.
public enum ImageSource {
    /// The default ceiling on an image's `width * height`: 100 megapixels.
    public static let defaultMaxPixels = PNGDecoder.defaultMaxPixels

    /// True when `fileName` has the extension of a readable format (`.png`, `.jpg`,
    /// `.jpeg`, `.tif`, `.tiff`, any case); this is how image folders pick their files.
    public static func isImageFile(_ fileName: String) -> Bool {
        ImageFormat(fileName: fileName) != nil
    }

    /// Every image of the file at `path`, in order.
    ///
    /// - Parameter maxPixels: the most pixels accepted for all images of the file
    ///   together (they are held at once); checked before allocating.
    /// - Throws: ``ImagingError`` naming `path`.
    public static func read(path: String, maxPixels: Int = defaultMaxPixels) throws(ImagingError) -> [GrayImage] {
        try decode(FileBytes.readAll(path: path), path: path, maxPixels: maxPixels)
    }

    /// Every image of a file held in memory, in order; see ``read(path:maxPixels:)``.
    ///
    /// - Parameters:
    ///   - bytes: the whole file.
    ///   - path: the name used to pick a decoder when the signature is unknown, and put in errors.
    public static func decode(
        _ bytes: [UInt8], path: String, maxPixels: Int = defaultMaxPixels
    ) throws(ImagingError) -> [GrayImage] {
        switch try format(of: bytes, path: path) {
        case .png: [try PNGDecoder.decode(bytes, path: path, maxPixels: maxPixels)]
        case .jpeg: [try JPEGDecoder.decode(bytes, path: path, maxPixels: maxPixels)]
        case .tiff: try TIFFDecoder.decode(bytes, path: path, maxPixels: maxPixels)
        }
    }

    /// Calls `body` with each image of the file at `path` in order, holding one
    /// full-size image at a time; returns the file's format.
    ///
    /// - Parameter maxPixels: the most pixels accepted per image (page).
    /// - Throws: ``ImagingError`` naming `path`, or what `body` throws.
    @discardableResult
    public static func forEachImage(
        path: String, maxPixels: Int = defaultMaxPixels, _ body: (GrayImage) throws(ImagingError) -> Void
    ) throws(ImagingError) -> ImageFormat {
        let bytes = try FileBytes.readAll(path: path)
        let format = try format(of: bytes, path: path)
        switch format {
        case .png: try body(PNGDecoder.decode(bytes, path: path, maxPixels: maxPixels))
        case .jpeg: try body(JPEGDecoder.decode(bytes, path: path, maxPixels: maxPixels))
        case .tiff: try TIFFDecoder.forEachPage(bytes, path: path, maxPixels: maxPixels, body)
        }
        return format
    }

    /// How a dataset names image `page` (1-based) of a file: the file's own path when it
    /// holds one image, `"<path>#<page>"` when it holds `pageCount > 1`
    /// (`"stack.tif#2"` is the second image of `stack.tif`).
    public static func imagePath(_ path: String, page: Int, of pageCount: Int) -> String {
        pageCount > 1 ? "\(path)#\(page)" : path
    }

    /// The decoder for `bytes`: by signature, else by `path`'s extension.
    static func format(of bytes: [UInt8], path: String) throws(ImagingError) -> ImageFormat {
        if let format = ImageFormat(signatureOf: bytes) ?? ImageFormat(fileName: path) { return format }
        let reason = bytes.isEmpty ? "empty file (0 bytes)" : "not an image file (no PNG, JPEG or TIFF signature)"
        throw ImagingError(.corrupt, path: path, reason: reason)
    }
}
