// libFuzzer harness: JPEGDecoder.decode on arbitrary bytes.
// Contract: any input either decodes to a consistent 8-bit GrayImage or throws
// ImagingError naming the file; nothing traps, and no pixel buffer is allocated for an
// image over the pixel limit. (libjpeg-turbo itself is not instrumented: coverage
// feedback sees only the Swift side.)
import Foundation
import PhantomImaging

private let verbose = ProcessInfo.processInfo.environment["FUZZ_VERBOSE"] != nil

/// Low enough that -malloc_limit_mb catches a decoder allocating from an unbounded
/// header: 4 Mpixel × 3 channels = 12 MB.
private let maxPixels = 4_000_000

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzJPEG(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    do {
        let image = try JPEGDecoder.decode(bytes, path: "fuzz.jpg", maxPixels: maxPixels)
        precondition(image.width > 0 && image.height > 0 && image.width * image.height <= maxPixels,
                     "decoded image has bad dimensions \(image.width)x\(image.height)")
        guard case .uint8(let samples) = image.samples else { preconditionFailure("JPEG decoded to 16 bits") }
        precondition(samples.count == image.width * image.height, "sample count")
        if verbose { print("decoded \(image.width)x\(image.height)") }
    } catch {
        if verbose { print("rejected: \(error)") }
        precondition(error.path == "fuzz.jpg", "error does not name the file: \(error)")
    }
    return 0
}
