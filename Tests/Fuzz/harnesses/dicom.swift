// libFuzzer harness: DICOMDecoder (through DCMTK) on arbitrary bytes, with the file's window,
// the auto window and a fixed one.
// Contract: any input either gives frames whose sizes stay within the limit (8- or 16-bit,
// at least one frame), or throws ImagingError naming the file; nothing traps and DCMTK
// prints nothing. (DCMTK itself is not instrumented: coverage feedback sees the shim and
// the Swift side; ASan sees the shim's buffers.)
import Foundation
import PhantomImaging

private let verbose = ProcessInfo.processInfo.environment["FUZZ_VERBOSE"] != nil

/// Low enough that -malloc_limit_mb catches pixel data decoded for an unchecked size.
private let maxPixels = 250_000

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzDICOM(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    let window: DICOMWindow = switch size % 3 {
    case 0: .file
    case 1: .auto
    default: .fixed(center: 40, width: 400)
    }
    do {
        var pixels = 0, count = 0
        try DICOMDecoder.forEachFrame(bytes, path: "fuzz.dcm", window: window, maxPixels: maxPixels) { frame in
            precondition(frame.width > 0 && frame.height > 0, "bad dimensions \(frame.width)x\(frame.height)")
            precondition(frame.samples.count == frame.width * frame.height, "sample count")
            pixels += frame.width * frame.height
            count += 1
        }
        precondition(count > 0, "no frame and no error")
        precondition(pixels <= maxPixels, "frames over the pixel limit")
        if verbose { print("decoded \(count) frame(s)") }
    } catch {
        if verbose { print("rejected: \(error)") }
        precondition(error.path == "fuzz.dcm", "error does not name the file: \(error)")
    }
    return 0
}
