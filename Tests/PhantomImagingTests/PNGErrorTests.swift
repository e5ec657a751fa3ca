import Foundation
import Testing
import PhantomImaging

/// Bad input becomes an ``ImagingError`` naming the file, never a crash.
@Suite struct PNGErrorTests {
    /// A valid PNG whose pixel data does not compress away.
    private func noisyPNG() throws -> [UInt8] {
        var state: UInt32 = 12345
        let samples = (0..<(64 * 64)).map { _ -> UInt8 in
            state = state &* 1_664_525 &+ 1_013_904_223
            return UInt8(truncatingIfNeeded: state >> 24)
        }
        return try PNGEncoder.encode(GrayImage(width: 64, height: 64, samples: .uint8(samples)))
    }

    @Test func truncatedFileIsCorruptAndNamed() throws {
        try withTemporaryDirectory { folder in
            let full = try noisyPNG()
            try writeFile(Array(full.prefix(full.count / 2)), at: "half.png", in: folder)
            let path = folder + "/half.png"
            let error = #expect(throws: ImagingError.self) { try PNGDecoder.read(path: path) }
            #expect(error?.kind == .corrupt)
            #expect(error?.path == path)
            #expect(error?.description.hasPrefix(path + ": ") == true)
        }
    }

    @Test func garbageFileIsNotAPNG() throws {
        try withTemporaryDirectory { folder in
            try writeFile(Array("this is not an image at all".utf8), at: "garbage.png", in: folder)
            let path = folder + "/garbage.png"
            let error = #expect(throws: ImagingError.self) { try PNGDecoder.read(path: path) }
            #expect(error?.kind == .notPNG)
            #expect(error?.path == path)
        }
    }

    @Test func signatureFollowedByGarbageIsCorrupt() throws {
        let bytes: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A] + Array(repeating: 7, count: 40)
        let error = #expect(throws: ImagingError.self) { try PNGDecoder.decode(bytes, path: "sig.png") }
        #expect(error?.kind == .corrupt)
        #expect(error?.path == "sig.png")
    }

    @Test func zeroByteFileIsReportedAsEmpty() throws {
        try withTemporaryDirectory { folder in
            try writeFile([], at: "empty.png", in: folder)
            let path = folder + "/empty.png"
            let error = #expect(throws: ImagingError.self) { try PNGDecoder.read(path: path) }
            #expect(error?.kind == .notPNG)
            #expect(error?.path == path)
            #expect(error?.reason.contains("empty") == true)
        }
    }

    @Test func missingFileAndDirectoryAreUnreadable() throws {
        try withTemporaryDirectory { folder in
            let missing = folder + "/missing.png"
            let missingError = #expect(throws: ImagingError.self) { try PNGDecoder.read(path: missing) }
            #expect(missingError?.kind == .unreadable)
            #expect(missingError?.path == missing)
            #expect(missingError?.reason == "No such file or directory")

            let directoryError = #expect(throws: ImagingError.self) { try PNGDecoder.read(path: folder) }
            #expect(directoryError?.kind == .unreadable)
            #expect(directoryError?.reason == "is a directory")
        }
    }

    @Test func imagesOverThePixelLimitAreRejected() throws {
        let png = try PNGEncoder.encode(uniformImage(width: 11, height: 10, value: 3))
        let error = #expect(throws: ImagingError.self) { try PNGDecoder.decode(png, path: "big.png", maxPixels: 100) }
        #expect(error?.kind == .dimensions)
        #expect(error?.reason.contains("11x10") == true)
        #expect(try PNGDecoder.decode(png, path: "big.png", maxPixels: 110).width == 11)
    }

    @Test func emptyImagesCannotBeEncoded() {
        let error = #expect(throws: ImagingError.self) {
            try PNGEncoder.encode(GrayImage(width: 0, height: 5, samples: .uint8([])))
        }
        #expect(error?.kind == .writeFailed)
    }
}
