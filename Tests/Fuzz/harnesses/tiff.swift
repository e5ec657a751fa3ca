// libFuzzer harness: TIFFDecoder.decode (every page) on arbitrary bytes.
// Contract: any input either decodes to consistent GrayImages whose pixels together stay
// within the limit, or throws ImagingError naming the file; nothing traps, libtiff's
// messages never reach stderr, and no buffer is allocated for a page over the limit.
// (libtiff itself is not instrumented: coverage feedback sees only the Swift side.)
import Foundation
import PhantomImaging

private let verbose = ProcessInfo.processInfo.environment["FUZZ_VERBOSE"] != nil

/// Low enough that -malloc_limit_mb catches an allocation from an unbounded header:
/// 4 Mpixel × 4 channels × 4 bytes = 64 MB at most per page buffer.
private let maxPixels = 4_000_000

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTIFF(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    do {
        let pages = try TIFFDecoder.decode(bytes, path: "fuzz.tif", maxPixels: maxPixels)
        precondition(!pages.isEmpty, "no page and no error")
        var total = 0
        for image in pages {
            precondition(image.width > 0 && image.height > 0, "bad dimensions \(image.width)x\(image.height)")
            precondition(image.samples.count == image.width * image.height, "sample count")
            total += image.width * image.height
        }
        precondition(total <= maxPixels, "pages exceed the pixel limit together: \(total)")
        if verbose { print("decoded \(pages.count) page(s): \(pages.map { "\($0.width)x\($0.height) \($0.bitDepth)" })") }
    } catch {
        if verbose { print("rejected: \(error)") }
        precondition(error.path == "fuzz.tif", "error does not name the file: \(error)")
    }
    return 0
}
