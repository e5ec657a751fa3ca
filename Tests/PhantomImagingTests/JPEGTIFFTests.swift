import Foundation
import Testing
import PhantomImaging

/// The JPEG and TIFF fixtures of `Tests/Fixtures/images/`, made by Pillow and tifffile
/// (`Tests/Fixtures/make_image_fixtures.py`); their pixels follow the formulas below.
enum ImageFixtures {
    static let folder = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Fixtures/images")

    static func path(_ name: String) -> String { folder.appendingPathComponent(name).path }

    static func bytes(_ name: String) throws -> [UInt8] { Array(try Data(contentsOf: folder.appendingPathComponent(name))) }

    static func pattern8(_ x: Int, _ y: Int) -> Int { (7 * x + 13 * y + 5) % 256 }
    static func pattern16(_ x: Int, _ y: Int) -> Int { (2017 * x + 4099 * y + 7) % 65536 }
    static func smooth(_ x: Int, _ y: Int) -> Int { 20 + 4 * x + 3 * y }
    static func rgb(_ x: Int, _ y: Int) -> (Int, Int, Int) { ((25 * x) % 256, (40 * y) % 256, (15 * (x + y)) % 256) }
    static func alpha(_ x: Int, _ y: Int) -> Int { (28 * x) % 256 }
    static let bandColours = [(200, 30, 30), (30, 200, 30), (30, 30, 200), (128, 128, 128)]
    static let palette = [(0, 0, 0), (255, 0, 0), (0, 255, 0), (40, 80, 160)]

    /// Rec. 709 luma in PhantomImaging's integer arithmetic.
    static func luma(_ colour: (Int, Int, Int)) -> Int { (2126 * colour.0 + 7152 * colour.1 + 722 * colour.2 + 5000) / 10000 }
    /// Rec. 601 luma (JPEG's Y channel), which colour JPEGs must *not* give.
    static func luma601(_ colour: (Int, Int, Int)) -> Double {
        0.299 * Double(colour.0) + 0.587 * Double(colour.1) + 0.114 * Double(colour.2)
    }

    /// `width * height` values of `value(x, y)`, row-major.
    static func image(_ width: Int, _ height: Int, _ value: (Int, Int) -> Int) -> [Int] {
        (0..<height).flatMap { y in (0..<width).map { x in value(x, y) } }
    }
}

@Suite struct JPEGDecodingTests {
    @Test func grayJPEGDecodesWithinJPEGTolerance() throws {
        let image = try JPEGDecoder.read(path: ImageFixtures.path("jpeg_gray.jpg"))
        #expect(image.width == 32 && image.height == 24 && image.bitDepth == .eight)
        let expected = ImageFixtures.image(32, 24, ImageFixtures.smooth)
        let errors = zip(values(image), expected).map { abs($0 - $1) }
        #expect(errors.max()! <= 3)
        #expect(Double(errors.reduce(0, +)) / Double(errors.count) < 1)
    }

    @Test func colourJPEGGivesRec709Luma() throws {
        for (name, tolerance) in [("jpeg_rgb444.jpg", 3), ("jpeg_rgb420_progressive.jpg", 5)] {
            let image = try JPEGDecoder.read(path: ImageFixtures.path(name))
            #expect(image.width == 32 && image.height == 16 && image.bitDepth == .eight)
            for (band, colour) in ImageFixtures.bandColours.enumerated() {
                let expected = ImageFixtures.luma(colour)
                // Away from the band edges, where JPEG rings and chroma is shared.
                for y in 0..<16 {
                    for x in (band * 8 + 2)...(band * 8 + 5) {
                        #expect(abs(image[x: x, y: y] - expected) <= tolerance, "\(name) (\(x), \(y))")
                    }
                }
                if colour.0 != colour.1 {
                    // Rec. 601 would be 14 to 39 levels away here.
                    #expect(abs(Double(image[x: band * 8 + 4, y: 8]) - ImageFixtures.luma601(colour)) > 10)
                }
            }
        }
    }

    @Test func forgedHugeDimensionsAreRefusedBeforeDecoding() throws {
        var bytes = try ImageFixtures.bytes("jpeg_gray.jpg")
        // SOF0 (FF C0): length(2) precision(1) height(2) width(2).
        let sof = try #require((0..<(bytes.count - 1)).first { bytes[$0] == 0xFF && bytes[$0 + 1] == 0xC0 })
        bytes[sof + 5] = 0xEA; bytes[sof + 6] = 0x60  // height 60000
        bytes[sof + 7] = 0xEA; bytes[sof + 8] = 0x60  // width 60000
        let error = #expect(throws: ImagingError.self) { try JPEGDecoder.decode(bytes, path: "huge.jpg") }
        #expect(error?.kind == .dimensions)
        #expect(error?.path == "huge.jpg")
    }

    @Test func extraneousBytesBeforeAMarkerAreTolerated() throws {
        // libjpeg warns "extraneous bytes before marker 0xd9" but every pixel is intact.
        let bytes = try ImageFixtures.bytes("jpeg_gray.jpg")
        #expect(Array(bytes.suffix(2)) == [0xFF, 0xD9])
        let padded = Array(bytes.dropLast(2)) + [0x12, 0x34, 0x56, 0xFF, 0xD9]
        #expect(try JPEGDecoder.decode(padded, path: "padded.jpg") == JPEGDecoder.decode(bytes, path: "plain.jpg"))
    }

    @Test func tooManyScansAreRefused() throws {
        // SOI, then 501 empty SOS segments: refused before libjpeg sees them.
        let sos: [UInt8] = [0xFF, 0xDA, 0x00, 0x02]
        let bytes: [UInt8] = [0xFF, 0xD8] + Array((0..<501).map { _ in sos }.joined()) + [0xFF, 0xD9]
        let error = #expect(throws: ImagingError.self) { try JPEGDecoder.decode(bytes, path: "scans.jpg") }
        #expect(error?.reason.contains("scans") == true)
    }
}

@Suite struct TIFFDecodingTests {
    private func page(_ name: String) throws -> GrayImage {
        let pages = try TIFFDecoder.read(path: ImageFixtures.path(name))
        #expect(pages.count == 1)
        return try #require(pages.first)
    }

    @Test func eightBitGrayIsExact() throws {
        for name in ["tiff_gray8_strips.tif", "tiff_gray8_lzw.tif"] {
            let image = try page(name)
            #expect(image.width == 13 && image.height == 9 && image.bitDepth == .eight, "\(name)")
            #expect(values(image) == ImageFixtures.image(13, 9, ImageFixtures.pattern8), "\(name)")
        }
    }

    @Test func sixteenBitGrayIsExactAndTilesEqualStrips() throws {
        // Big-endian, Deflate with a horizontal predictor, 7-row strips…
        let stripped = try page("tiff_gray16_strips.tif")
        // …and little-endian, uncompressed, 16×16 tiles (partial at the right edge).
        let tiled = try page("tiff_gray16_tiles.tif")
        #expect(stripped.width == 40 && stripped.height == 24 && stripped.bitDepth == .sixteen)
        #expect(values(stripped) == ImageFixtures.image(40, 24, ImageFixtures.pattern16))
        #expect(tiled == stripped)
    }

    @Test func floatPageMapsFiniteRangeToSixteenBits() throws {
        let image = try page("tiff_float32.tif")
        #expect(image.width == 8 && image.height == 4 && image.bitDepth == .sixteen)
        // Stored: -2.5 + 0.5 i, except NaN, +inf, -inf at i = 0, 1, 2; finite range -1 … 13.
        var expected = (0..<32).map { (index: Int) -> Int in
            let stored: Double = -2.5 + 0.5 * Double(index)
            return Int(((stored + 1) / 14 * 65535).rounded())
        }
        expected[0] = 0; expected[1] = 65535; expected[2] = 0
        #expect(values(image) == expected)
        #expect(values(image)[3] == 0 && values(image)[31] == 65535)
    }

    @Test func multiPageGivesPagesInOrderWithoutThumbnails() throws {
        let pages = try TIFFDecoder.read(path: ImageFixtures.path("tiff_multipage.tif"))
        #expect(pages.map { ImageSize(width: $0.width, height: $0.height) }
            == [ImageSize(width: 6, height: 4), ImageSize(width: 5, height: 5), ImageSize(width: 4, height: 6)])
        #expect(pages.map(\.bitDepth) == [.eight, .sixteen, .eight])
        #expect(values(pages[0]) == ImageFixtures.image(6, 4, ImageFixtures.pattern8))
        #expect(values(pages[1]) == ImageFixtures.image(5, 5, ImageFixtures.pattern16))
        #expect(values(pages[2]) == Array(repeating: 77, count: 24))
    }

    @Test func minIsWhiteIsInverted() throws {
        let image = try page("tiff_miniswhite.tif")
        #expect(values(image) == ImageFixtures.image(13, 9) { 255 - ImageFixtures.pattern8($0, $1) })
    }

    @Test func signedSixteenBitIsOffset() throws {
        #expect(values(try page("tiff_int16.tif")) == [31744, 32768, 35839, 0])
    }

    @Test func rgbGivesLumaAndAlphaCompositesOnBlack() throws {
        let planar = try page("tiff_rgb8_planar.tif")
        #expect(planar.bitDepth == .eight)
        #expect(values(planar) == ImageFixtures.image(10, 6) { ImageFixtures.luma(ImageFixtures.rgb($0, $1)) })
        let withAlpha = try page("tiff_rgba8.tif")
        #expect(values(withAlpha) == ImageFixtures.image(10, 6) { x, y in
            (ImageFixtures.luma(ImageFixtures.rgb(x, y)) * ImageFixtures.alpha(x, y) + 127) / 255
        })
    }

    @Test func paletteAndJPEGCompressedPagesGoThroughLibtiff() throws {
        let palette = try page("tiff_palette.tif")
        #expect(values(palette) == ImageFixtures.image(8, 4) { x, y in ImageFixtures.luma(ImageFixtures.palette[(x + 2 * y) % 4]) })
        for name in ["tiff_ycbcr_jpeg.tif", "tiff_rgb_jpeg.tif"] {
            let image = try page(name)
            #expect(image.width == 32 && image.height == 16, "\(name)")
            for (band, colour) in ImageFixtures.bandColours.enumerated() {
                #expect(abs(image[x: band * 8 + 4, y: 8] - ImageFixtures.luma(colour)) <= 5, "\(name) band \(band)")
            }
        }
    }

    @Test func pixelLimitsApplyBeforeAllocating() throws {
        let tiles = try ImageFixtures.bytes("tiff_gray16_tiles.tif")
        let error = #expect(throws: ImagingError.self) { try TIFFDecoder.decode(tiles, path: "t.tif", maxPixels: 959) }
        #expect(error?.kind == .dimensions)
        #expect(try TIFFDecoder.decode(tiles, path: "t.tif", maxPixels: 960).count == 1)

        // All pages at once count together (24 + 25 + 24 pixels); one at a time, each alone.
        let stack = ImageFixtures.path("tiff_multipage.tif")
        #expect(throws: ImagingError.self) { try TIFFDecoder.read(path: stack, maxPixels: 72) }
        #expect(try TIFFDecoder.read(path: stack, maxPixels: 73).count == 3)
        var sizes: [Int] = []
        try ImageSource.forEachImage(path: stack, maxPixels: 25) { sizes.append($0.width * $0.height) }
        #expect(sizes == [24, 25, 24])
    }
}

@Suite struct ImageSourceTests {
    @Test func formatsComeFromExtensionsAndSignatures() throws {
        #expect(ImageFormat(fileName: "a/b/scan.JPG") == .jpeg)
        #expect(ImageFormat(fileName: "x.jpeg") == .jpeg && ImageFormat(fileName: "x.TIFF") == .tiff)
        #expect(ImageFormat(fileName: "x.tif") == .tiff && ImageFormat(fileName: "x.png") == .png)
        #expect(ImageFormat(fileName: "notes.txt") == nil && ImageFormat(fileName: "dir.png/file") == nil)
        #expect(ImageSource.isImageFile("stack.Tif") && !ImageSource.isImageFile("stack.tif.json"))
        #expect(ImageFormat(signatureOf: try ImageFixtures.bytes("jpeg_gray.jpg")) == .jpeg)
        #expect(ImageFormat(signatureOf: try ImageFixtures.bytes("tiff_gray16_strips.tif")) == .tiff)  // MM
        #expect(ImageFormat(signatureOf: try ImageFixtures.bytes("tiff_gray8_strips.tif")) == .tiff)   // II
        #expect(ImageSource.imagePath("b/stack.tif", page: 2, of: 3) == "b/stack.tif#2")
        #expect(ImageSource.imagePath("b/one.tif", page: 1, of: 1) == "b/one.tif")
    }

    @Test func decoderFollowsTheSignatureNotTheExtension() throws {
        try withTemporaryDirectory { folder in
            let png = try PNGEncoder.encode(uniformImage(width: 3, height: 2, value: 99))
            try writeFile(png, at: "really-a-png.jpg", in: folder)
            try writeFile(try ImageFixtures.bytes("jpeg_gray.jpg"), at: "really-a-jpeg.tif", in: folder)
            #expect(try ImageSource.read(path: folder + "/really-a-png.jpg") == [uniformImage(width: 3, height: 2, value: 99)])
            #expect(try ImageSource.read(path: folder + "/really-a-jpeg.tif").first?.width == 32)
        }
    }

    /// Truncated, corrupt, empty and foreign files of every format give an ``ImagingError``
    /// naming the file.
    @Test func badFilesOfEveryFormatAreErrorsNamingTheFile() throws {
        try withTemporaryDirectory { folder in
            var cases: [(name: String, bytes: [UInt8])] = []
            for fixture in ["jpeg_gray.jpg", "jpeg_rgb420_progressive.jpg", "tiff_gray16_strips.tif",
                            "tiff_gray8_strips.tif", "tiff_gray16_tiles.tif", "tiff_multipage.tif",
                            "tiff_gray8_lzw.tif", "tiff_ycbcr_jpeg.tif", "tiff_palette.tif"] {
                let bytes = try ImageFixtures.bytes(fixture)
                let ext = (fixture as NSString).pathExtension
                for fraction in [10, 50, 90] {
                    cases.append(("cut\(fraction)-\(fixture)", Array(bytes.prefix(bytes.count * fraction / 100))))
                }
                // Pillow's LZW strip ends with padding after the end code: losing its last
                // byte loses no pixel.
                if fixture != "tiff_gray8_lzw.tif" { cases.append(("cut1-\(fixture)", Array(bytes.dropLast()))) }
                cases.append(("empty.\(ext)", []))
                cases.append(("text.\(ext)", Array("not an image, just text".utf8)))
                cases.append(("magic-only.\(ext)", Array(bytes.prefix(4))))
            }
            // Corrupt, not truncated: a JPEG whose Huffman tables are garbage, and a TIFF
            // whose Deflate stream is garbage.
            var jpeg = try ImageFixtures.bytes("jpeg_gray.jpg")
            let dht = try #require((0..<(jpeg.count - 1)).first { jpeg[$0] == 0xFF && jpeg[$0 + 1] == 0xC4 })
            for index in (dht + 5)..<(dht + 21) { jpeg[index] = 0xFF }
            cases.append(("bad-huffman.jpg", jpeg))
            var tiff = try ImageFixtures.bytes("tiff_gray16_strips.tif")
            for index in 16..<(tiff.count / 2) where index % 3 == 0 { tiff[index] ^= 0x5A }
            cases.append(("scrambled.tif", tiff))

            for (name, bytes) in cases {
                try writeFile(bytes, at: name, in: folder)
                let path = folder + "/" + name
                let error = #expect(throws: ImagingError.self, "\(name)") { try ImageSource.read(path: path) }
                #expect(error?.path == path, "\(name)")
                #expect(error?.description.hasPrefix(path + ": ") == true, "\(name)")
            }
        }
    }

    @Test func folderWithMixedFormatsLoadsThemAll() throws {
        try withTemporaryDirectory { root in
            try writeFile(try PNGEncoder.encode(uniformImage(width: 8, height: 8, value: 40000, bitDepth: .sixteen)),
                          at: "a/x.png", in: root)
            try writeFile(try ImageFixtures.bytes("jpeg_rgb444.jpg"), at: "a/colour.jpeg", in: root)
            try writeFile(try ImageFixtures.bytes("tiff_multipage.tif"), at: "b/stack.tif", in: root)
            try writeFile(try ImageFixtures.bytes("tiff_gray8_lzw.tif"), at: "b/deep/lzw.TIFF", in: root)
            try writeFile(Array("x".utf8), at: "b/notes.txt", in: root)

            let dataset = try ImageFolderDataset.load(root: root, resolution: 4)
            #expect(dataset.classNames == ["a", "b"])
            #expect((0..<dataset.count).map(dataset.relativePath(at:))
                == ["a/colour.jpeg", "a/x.png", "b/deep/lzw.TIFF", "b/stack.tif#1", "b/stack.tif#2", "b/stack.tif#3"])
            #expect((0..<dataset.count).map(dataset.label(at:)) == [0, 0, 1, 1, 1, 1])
            #expect(dataset.bitDepth == .sixteen)
            #expect(values(dataset.image(at: 1)) == Array(repeating: 40000, count: 16))
            #expect(values(dataset.image(at: 5)) == Array(repeating: 77 * 257, count: 16))
            let report = dataset.report
            #expect(report.formatHistogram == [.png: 1, .jpeg: 1, .tiff: 4])
            #expect(report.bitDepthHistogram == [.eight: 4, .sixteen: 2])
            #expect(report.skippedNonPNGCount == 1)
            #expect(report.classes.map(\.imageCount) == [2, 4])
        }
    }

    @Test func unreadableJPEGAndTIFFAreListedAndSkippable() throws {
        try withTemporaryDirectory { root in
            let jpeg = try ImageFixtures.bytes("jpeg_gray.jpg"), tiff = try ImageFixtures.bytes("tiff_gray16_strips.tif")
            try writeFile(jpeg, at: "a/good.jpg", in: root)
            try writeFile(Array(jpeg.prefix(jpeg.count / 2)), at: "a/half.jpg", in: root)
            try writeFile(Array(tiff.prefix(tiff.count / 2)), at: "b/half.tif", in: root)
            try writeFile(tiff, at: "b/good.tif", in: root)
            let broken = [root + "/a/half.jpg", root + "/b/half.tif"]

            let error = #expect(throws: ImagingError.self) { try ImageFolderDataset.load(root: root, resolution: 4) }
            #expect(error?.kind == .unreadableImages)
            #expect(error?.issues.map(\.path) == broken)
            let dataset = try ImageFolderDataset.load(root: root, resolution: 4, skipBad: true)
            #expect(dataset.count == 2)
            #expect(dataset.report.problems.map(\.path) == broken)
        }
    }
}
