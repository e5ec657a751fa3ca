// libFuzzer harness: PNGDecoder.decode on arbitrary bytes.
// Contract: any input either decodes to a consistent GrayImage or throws ImagingError;
// nothing traps, and no pixel buffer is allocated for an image over the pixel limit.
import Foundation
import PhantomImaging

private let verbose = ProcessInfo.processInfo.environment["FUZZ_VERBOSE"] != nil

/// A limit low enough that the fuzzer's malloc limit (-malloc_limit_mb) catches a
/// decoder that allocates from a header it has not bounded: 4 Mpixel × 4 channels × 2 bytes = 32 MB.
private let maxPixels = 4_000_000

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzPNG(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    do {
        let image = try PNGDecoder.decode(bytes, path: "fuzz.png", maxPixels: maxPixels)
        precondition(image.width > 0 && image.height > 0 && image.width * image.height <= maxPixels,
                     "decoded image has bad dimensions \(image.width)x\(image.height)")
        if verbose { print("decoded \(image.width)x\(image.height) \(image.samples)") }
        switch image.samples {
        case .uint8(let samples): precondition(samples.count == image.width * image.height, "8-bit sample count")
        case .uint16(let samples): precondition(samples.count == image.width * image.height, "16-bit sample count")
        }
    } catch {
        if verbose { print("rejected: \(error)") }
        precondition(error.path == "fuzz.png", "error does not name the file: \(error)")
    }
    return 0
}

// A structure-aware mutator: libFuzzer's byte mutations almost always break a chunk's
// CRC, and libpng rejects a critical chunk with a bad CRC before looking at it. After
// each mutation the signature is usually restored and every complete chunk's CRC is
// recomputed, so mutations reach the header, palette, transparency and image-data
// handling instead of the CRC check. (libpng itself is not instrumented, so coverage
// feedback sees only the Swift side; this keeps the inputs meaningful anyway.)

@_silgen_name("LLVMFuzzerMutate")
func LLVMFuzzerMutate(_ data: UnsafeMutablePointer<UInt8>, _ size: Int, _ maxSize: Int) -> Int

private let crcTable: [UInt32] = (0..<256).map { (index: Int) -> UInt32 in
    var value = UInt32(index)
    for _ in 0..<8 { value = value & 1 != 0 ? 0xEDB8_8320 ^ (value >> 1) : value >> 1 }
    return value
}

private func crc32(_ bytes: UnsafeBufferPointer<UInt8>) -> UInt32 {
    var crc: UInt32 = 0xFFFF_FFFF
    for byte in bytes { crc = crcTable[Int((crc ^ UInt32(byte)) & 0xFF)] ^ (crc >> 8) }
    return crc ^ 0xFFFF_FFFF
}

@_cdecl("LLVMFuzzerCustomMutator")
public func mutatePNG(_ data: UnsafeMutablePointer<UInt8>, _ size: Int, _ maxSize: Int, _ seed: UInt32) -> Int {
    let newSize = LLVMFuzzerMutate(data, size, maxSize)
    guard seed % 16 != 0 else { return newSize }  // 1 in 16: leave the raw mutation alone
    let signature: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
    guard newSize >= 8 else { return newSize }
    for index in 0..<8 { data[index] = signature[index] }
    var offset = 8
    while offset + 12 <= newSize {
        let length = Int(data[offset]) << 24 | Int(data[offset + 1]) << 16 | Int(data[offset + 2]) << 8 | Int(data[offset + 3])
        guard length <= newSize - offset - 12 else { break }
        let crc = crc32(UnsafeBufferPointer(start: data + offset + 4, count: length + 4))
        let end = offset + 8 + length
        data[end] = UInt8(crc >> 24); data[end + 1] = UInt8(truncatingIfNeeded: crc >> 16)
        data[end + 2] = UInt8(truncatingIfNeeded: crc >> 8); data[end + 3] = UInt8(truncatingIfNeeded: crc)
        offset = end + 4
    }
    return newSize
}
