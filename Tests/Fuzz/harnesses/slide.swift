// libFuzzer harness: WholeSlideReader (OpenSlide) on arbitrary bytes saved as a .tif file
// (OpenSlide reads slides from files only).
// Contract: any input either gives tiles of the asked size within the pixel limit, or throws
// ImagingError naming the file; nothing traps. (OpenSlide and libtiff are not instrumented.)
import Foundation
import PhantomImaging

private let verbose = ProcessInfo.processInfo.environment["FUZZ_VERBOSE"] != nil
private let path = FileManager.default.temporaryDirectory.appendingPathComponent("phantom-fuzz-slide-\(getpid()).tif").path
private let maxPixels = 250_000

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzSlide(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    FileManager.default.createFile(atPath: path, contents: Data(bytes: data, count: size))
    let options = WholeSlideOptions(tileSize: 32, level: size % 3, minTissueFraction: 0.25, maxTilesPerSlide: 8)
    do {
        var count = 0
        try WholeSlideReader.forEachTile(path: path, options: options, maxPixels: maxPixels) { name, tile in
            precondition(tile.width == 32 && tile.height == 32, "tile size")
            precondition(name.hasPrefix("tile-"), "tile name")
            count += 1
        }
        precondition(count > 0 && count <= 8, "tile count \(count)")
        if verbose { print("cut \(count) tile(s)") }
    } catch {
        if verbose { print("rejected: \(error)") }
        precondition(error.path == path, "error does not name the file: \(error)")
    }
    return 0
}
