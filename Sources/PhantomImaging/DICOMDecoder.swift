import CDICOM

/// How a DICOM image's stored values become display values (the VOI transform, applied
/// after the modality LUT has turned stored values into Hounsfield units or the like).
public enum DICOMWindow: Sendable, Hashable, Codable, CustomStringConvertible {
    /// The file's own first Window Center/Width, else its first VOI LUT, else ``auto``.
    case file
    /// Center and width in modality units, e.g. `(40, 80)` for brain CT or `(40, 400)` for
    /// soft tissue (DICOM PS3.3 C.11.2.1.2: values below c − w/2 are black, above c + w/2 white).
    case fixed(center: Double, width: Double)
    /// Each frame's 1st to 99th percentile (robust to a few extreme pixels).
    case auto

    /// Reads `file`, `auto` or `C,W` (numbers, W ≥ 1), as `--window` spells it; nil otherwise.
    public init?(_ text: String) {
        switch text {
        case "file": self = .file
        case "auto": self = .auto
        default:
            let parts = text.split(separator: ",", omittingEmptySubsequences: false)
            guard parts.count == 2, let center = Double(parts[0]), let width = Double(parts[1]),
                  center.isFinite, width.isFinite, width >= 1 else { return nil }
            self = .fixed(center: center, width: width)
        }
    }

    /// The modality values a fixed window maps to black and white, `C − W/2 … C + W/2`; nil
    /// for ``file`` and ``auto``.
    public var valueRange: ClosedRange<Double>? {
        guard case .fixed(let center, let width) = self else { return nil }
        return (center - width / 2)...(center + width / 2)
    }

    /// `file`, `auto` or `C,W`.
    public var description: String {
        switch self {
        case .file: "file"
        case .auto: "auto"
        case .fixed(let center, let width): "\(center),\(width)"
        }
    }
}

/// Reads DICOM files (`.dcm`, `.dicom`, or any file with the `DICM` preamble) through
/// DCMTK into grayscale frames (``GrayImage``).
///
/// - The modality LUT (Rescale Slope/Intercept, or a Modality LUT Sequence) is applied
///   first, then the VOI window (``DICOMWindow``: the file's own by default).
/// - MONOCHROME1 images (stored inverted: high values dark) come out as MONOCHROME2, so a
///   bone is bright in every image; colour images become Rec. 709 luminance.
/// - Multi-frame objects give one image per frame, in order.
/// - Compressed transfer syntaxes are decoded: JPEG baseline, extended and lossless,
///   JPEG-LS and RLE.
/// - Images whose stored samples have more than 8 bits come out at 16 bits (the window
///   spread over 0…65535), others at 8.
/// - Only pixel-related elements are read; no patient data reaches Phantom's outputs.
///
/// Every failure is an ``ImagingError`` naming the file; the pixel count (all frames) is
/// checked against `maxPixels` before the pixel data is decoded.
public enum DICOMDecoder {
    /// Byte offset of the `DICM` magic after the 128-byte preamble of a DICOM Part 10 file.
    static let magicOffset = 128
    static let magic: [UInt8] = Array("DICM".utf8)

    /// The shim's NUL-terminated message.
    private static func reason(_ message: [CChar]) -> String {
        String(decoding: message.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// Whether `bytes` start with a DICOM Part 10 preamble and magic.
    public static func hasSignature(_ bytes: [UInt8]) -> Bool {
        bytes.count >= magicOffset + 4 && Array(bytes[magicOffset..<(magicOffset + 4)]) == magic
    }

    /// Every frame of the DICOM file held in `bytes`, in order.
    ///
    /// - Parameters:
    ///   - bytes: the whole file.
    ///   - path: the name put in errors.
    ///   - window: the VOI window.
    ///   - maxPixels: the most pixels of all frames together.
    /// - Throws: ``ImagingError`` naming `path`.
    public static func decode(_ bytes: [UInt8], path: String, window: DICOMWindow = .file,
                              maxPixels: Int = PNGDecoder.defaultMaxPixels) throws(ImagingError) -> [GrayImage] {
        var frames: [GrayImage] = []
        try forEachFrame(bytes, path: path, window: window, maxPixels: maxPixels) { (frame) throws(ImagingError) in
            frames.append(frame)
        }
        return frames
    }

    /// Calls `body` with each frame in order, holding one rendered frame at a time (the
    /// decoded pixel data of all frames is held by DCMTK meanwhile); returns the window applied.
    @discardableResult
    public static func forEachFrame(_ bytes: [UInt8], path: String, window: DICOMWindow = .file,
                                    maxPixels: Int = PNGDecoder.defaultMaxPixels,
                                    _ body: (GrayImage) throws(ImagingError) -> Void) throws(ImagingError) -> DICOMAppliedWindow {
        guard !bytes.isEmpty else { throw ImagingError(.corrupt, path: path, reason: "empty file (0 bytes)") }
        var message = [CChar](repeating: 0, count: 256)
        var info = phantom_dicom_info()
        let (mode, windowCenter, windowWidth): (phantom_dicom_window, Double, Double) = switch window {
        case .file: (PHANTOM_DICOM_WINDOW_FILE, 0, 0)
        case .auto: (PHANTOM_DICOM_WINDOW_AUTO, 0, 0)
        case .fixed(let center, let width): (PHANTOM_DICOM_WINDOW_FIXED, center, width)
        }
        let handle = bytes.withUnsafeBufferPointer { buffer in
            phantom_dicom_open(buffer.baseAddress, buffer.count, Int64(maxPixels), mode, windowCenter, windowWidth,
                               &info, &message, message.count)
        }
        guard let handle else { throw ImagingError(.corrupt, path: path, reason: reason(message)) }
        defer { phantom_dicom_close(handle) }
        let width = Int(info.columns), height = Int(info.rows)
        for frame in 0..<Int(info.frames) {
            let image: GrayImage
            if info.bits == 16 {
                var samples = [UInt16](repeating: 0, count: width * height)
                let status = samples.withUnsafeMutableBytes { phantom_dicom_frame(handle, Int32(frame), $0.baseAddress, &message, message.count) }
                guard status == 0 else { throw ImagingError(.corrupt, path: path, reason: reason(message)) }
                image = GrayImage(width: width, height: height, samples: .uint16(samples))
            } else {
                var samples = [UInt8](repeating: 0, count: width * height)
                let status = samples.withUnsafeMutableBytes { phantom_dicom_frame(handle, Int32(frame), $0.baseAddress, &message, message.count) }
                guard status == 0 else { throw ImagingError(.corrupt, path: path, reason: reason(message)) }
                image = GrayImage(width: width, height: height, samples: .uint8(samples))
            }
            try body(image)
        }
        let kind: DICOMAppliedWindow.Kind = switch info.window_used {
        case 0: .file
        case 1: .fixed
        default: .percentiles
        }
        let single = info.window_center.isFinite && info.window_width.isFinite
        return DICOMAppliedWindow(kind: kind, center: single ? info.window_center : nil, width: single ? info.window_width : nil)
    }
}
