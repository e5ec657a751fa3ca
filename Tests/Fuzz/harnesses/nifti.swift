// libFuzzer harness: NIfTIDecoder (.nii and .nii.gz) on arbitrary bytes, cutting all three planes.
// Contract: any input either gives 16-bit slices whose sizes stay within the limit (and at
// least one slice), or throws ImagingError naming the file; nothing traps, niftilib and
// zlib print nothing, and no voxel buffer is allocated for a volume over the limit.
// (niftilib and zlib are not instrumented: coverage feedback sees only the Swift side.)
import Foundation
import PhantomImaging

private let verbose = ProcessInfo.processInfo.environment["FUZZ_VERBOSE"] != nil

/// Low enough that -malloc_limit_mb catches an allocation from an unchecked header
/// (250k voxels × 8 bytes of float64 = 2 MB) and that every input runs fast.
private let maxPixels = 250_000

private let options = NIfTISliceOptions(planes: [.axial, .coronal, .sagittal])

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzNIfTI(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    do {
        var count = 0
        try NIfTIDecoder.forEachSlice(bytes, path: "fuzz.nii", options: options, maxPixels: maxPixels) { slice in
            let image = slice.image
            precondition(image.width > 0 && image.height > 0, "bad dimensions \(image.width)x\(image.height)")
            precondition(image.width * image.height <= maxPixels, "slice over the pixel limit")
            precondition(image.samples.count == image.width * image.height, "sample count")
            precondition(image.bitDepth == .sixteen, "NIfTI slices are 16-bit")
            precondition(slice.index >= 0, "negative slice index")
            count += 1
        }
        precondition(count > 0, "no slice and no error")
        if verbose { print("decoded \(count) slice(s)") }
    } catch {
        if verbose { print("rejected: \(error)") }
        precondition(error.path == "fuzz.nii", "error does not name the file: \(error)")
    }
    return 0
}
