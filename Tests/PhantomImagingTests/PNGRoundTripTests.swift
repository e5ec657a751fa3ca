import Testing
import PhantomImaging

@Suite struct PNGRoundTripTests {
    @Test func eightBitRoundTripIsExact() throws {
        let image = GrayImage(width: 16, height: 16, samples: .uint8((0..<256).map { UInt8($0) }))
        let decoded = try PNGDecoder.decode(PNGEncoder.encode(image), path: "all-bytes.png")
        #expect(decoded == image)
        #expect(decoded.bitDepth == .eight)
    }

    @Test func sixteenBitRoundTripIsExactForEveryValue() throws {
        // Every 16-bit value once, most of them not multiples of 257.
        let image = GrayImage(width: 256, height: 256, samples: .uint16((0...65535).map { UInt16($0) }))
        let decoded = try PNGDecoder.decode(PNGEncoder.encode(image), path: "all-words.png")
        #expect(decoded.bitDepth == .sixteen)
        #expect(decoded == image)
        #expect(decoded[x: 1, y: 0] == 1 && decoded[x: 0, y: 157] == 40192)
    }

    @Test func writeAndReadFilesInBothDepths() throws {
        try withTemporaryDirectory { folder in
            let eight = GrayImage(width: 3, height: 2, samples: .uint8([0, 1, 127, 128, 254, 255]))
            let sixteen = GrayImage(width: 2, height: 3, samples: .uint16([0, 1, 258, 37008, 65534, 65535]))
            try PNGEncoder.write(eight, to: folder + "/eight.png")
            try PNGEncoder.write(sixteen, to: folder + "/sixteen.png")
            #expect(try PNGDecoder.read(path: folder + "/eight.png") == eight)
            #expect(try PNGDecoder.read(path: folder + "/sixteen.png") == sixteen)
        }
    }

    @Test func writingIntoAMissingFolderNamesTheFile() {
        let path = "/nonexistent-phantom-folder/out.png"
        let error = #expect(throws: ImagingError.self) {
            try PNGEncoder.write(uniformImage(width: 2, height: 2, value: 9), to: path)
        }
        #expect(error?.kind == .writeFailed)
        #expect(error?.path == path)
    }
}
