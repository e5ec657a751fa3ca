import CPNG
import Foundation
import PhantomImaging

/// Runs `body` with a fresh folder under the system temporary directory, removed afterwards.
func withTemporaryDirectory<Result>(_ body: (String) throws -> Result) throws -> Result {
    let path = FileManager.default.temporaryDirectory
        .appendingPathComponent("phantom-imaging-tests-\(UUID().uuidString)").path
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: path) }
    return try body(path)
}

/// Writes `bytes` to `root/relativePath`, creating folders on the way.
func writeFile(_ bytes: [UInt8], at relativePath: String, in root: String) throws {
    let url = URL(fileURLWithPath: root).appendingPathComponent(relativePath)
    try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
    try Data(bytes).write(to: url)
}

/// A `width` × `height` gray image whose samples all equal `value`.
func uniformImage(width: Int, height: Int, value: Int, bitDepth: BitDepth = .eight) -> GrayImage {
    switch bitDepth {
    case .eight: GrayImage(width: width, height: height, samples: .uint8(Array(repeating: UInt8(value), count: width * height)))
    case .sixteen: GrayImage(width: width, height: height, samples: .uint16(Array(repeating: UInt16(value), count: width * height)))
    }
}

/// libpng's `PNG_FORMAT_*` values, built from the flags (the composite macros do not
/// import into Swift).
enum LibpngFormat {
    static let alpha = UInt32(PNG_FORMAT_FLAG_ALPHA)
    static let color = UInt32(PNG_FORMAT_FLAG_COLOR)
    static let linear = UInt32(PNG_FORMAT_FLAG_LINEAR)
    static let colormap = UInt32(PNG_FORMAT_FLAG_COLORMAP)
}

/// A PNG encoded by libpng's simplified API straight from `samples` in `format`
/// (flags of ``LibpngFormat``), independent of the code under test. For colour-mapped
/// formats `samples` are indices into `colormap`, whose entries have the format's
/// channels without the colour-map flag.
func libpngEncode<Sample>(
    width: Int, height: Int, format: UInt32, samples: [Sample], colormap: [UInt8] = []
) -> [UInt8] {
    var png = png_image()
    png.version = UInt32(PNG_IMAGE_VERSION)
    png.width = UInt32(width)
    png.height = UInt32(height)
    png.format = format
    let channels = (format & LibpngFormat.color != 0 ? 3 : 1) + (format & LibpngFormat.alpha != 0 ? 1 : 0)
    png.colormap_entries = UInt32(colormap.count / channels)
    var size = 0
    samples.withUnsafeBytes { pixels in
        colormap.withUnsafeBytes { map in
            _ = png_image_write_to_memory(&png, nil, &size, 0, pixels.baseAddress, 0, map.baseAddress)
        }
    }
    var encoded = [UInt8](repeating: 0, count: size)
    let ok = encoded.withUnsafeMutableBytes { output in
        samples.withUnsafeBytes { pixels in
            colormap.withUnsafeBytes { map in
                png_image_write_to_memory(&png, output.baseAddress, &size, 0, pixels.baseAddress, 0, map.baseAddress)
            }
        }
    }
    return ok != 0 ? Array(encoded.prefix(size)) : []
}

/// The samples of `image` widened to `Int`, row-major.
func values(_ image: GrayImage) -> [Int] {
    switch image.samples {
    case .uint8(let samples): samples.map(Int.init)
    case .uint16(let samples): samples.map(Int.init)
    }
}
