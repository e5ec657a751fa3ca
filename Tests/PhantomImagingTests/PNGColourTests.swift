import Testing
import PhantomImaging

/// Colour, palette and alpha sources read to the documented gray:
/// `round(0.2126 R + 0.7152 G + 0.0722 B)`, then composited on black.
@Suite struct PNGColourTests {
    @Test func rgbReadsToRec709Luma() throws {
        let rgb: [UInt8] = [255, 0, 0, /**/ 0, 255, 0, /**/ 0, 0, 255, /**/ 144, 144, 144, /**/ 10, 200, 30, /**/ 255, 255, 255]
        let png = libpngEncode(width: 6, height: 1, format: LibpngFormat.color, samples: rgb)
        let image = try PNGDecoder.decode(png, path: "rgb.png")
        #expect(image.bitDepth == .eight)
        // 0.2126*255 = 54.2, 0.7152*255 = 182.4, 0.0722*255 = 18.4; 10/200/30 -> 147.3.
        #expect(values(image) == [54, 182, 18, 144, 147, 255])
    }

    @Test func rgbaIsCompositedOnBlack() throws {
        let rgba: [UInt8] = [255, 255, 255, 128, /**/ 200, 200, 200, 255, /**/ 0, 255, 0, 0, /**/ 100, 100, 100, 51]
        let png = libpngEncode(width: 2, height: 2, format: LibpngFormat.color | LibpngFormat.alpha, samples: rgba)
        let image = try PNGDecoder.decode(png, path: "rgba.png")
        // 255*128/255 = 128; opaque 200 stays; transparent -> 0; 100*51/255 = 20.
        #expect(values(image) == [128, 200, 0, 20])
    }

    @Test func grayAlphaIsCompositedOnBlack() throws {
        let grayAlpha: [UInt8] = [200, 128, /**/ 77, 255, /**/ 255, 0]
        let png = libpngEncode(width: 3, height: 1, format: LibpngFormat.alpha, samples: grayAlpha)
        let image = try PNGDecoder.decode(png, path: "ga.png")
        // 200*128/255 = 100.4 -> 100.
        #expect(values(image) == [100, 77, 0])
    }

    @Test func paletteReadsToRec709Luma() throws {
        let colormap: [UInt8] = [255, 0, 0, /**/ 0, 255, 0, /**/ 0, 0, 255, /**/ 77, 77, 77]
        let indices: [UInt8] = [3, 2, 1, 0, 3, 3]
        let png = libpngEncode(
            width: 3, height: 2, format: LibpngFormat.color | LibpngFormat.colormap, samples: indices, colormap: colormap)
        // PNG colour type 3 (palette) is byte 25 of the file.
        #expect(png.count > 25 && png[25] == 3)
        let image = try PNGDecoder.decode(png, path: "palette.png")
        #expect(image.bitDepth == .eight)
        #expect(values(image) == [77, 18, 182, 54, 77, 77])
    }

    @Test func sixteenBitColourKeepsSixteenBitsAndUsesTheSameWeights() throws {
        let rgb: [UInt16] = [65535, 0, 0, /**/ 40001, 40001, 40001]
        let png = libpngEncode(width: 2, height: 1, format: LibpngFormat.linear | LibpngFormat.color, samples: rgb)
        let image = try PNGDecoder.decode(png, path: "rgb16.png")
        #expect(image.bitDepth == .sixteen)
        // 0.2126 * 65535 = 13932.7 -> 13933; a gray colour keeps its exact value.
        #expect(values(image) == [13933, 40001])
    }

    @Test func sixteenBitGrayAlphaIsCompositedOnBlack() throws {
        // libpng's linear formats carry premultiplied (associated) alpha.
        let grayAlpha: [UInt16] = [40001, 65535, /**/ 0, 0, /**/ 20000, 32768]
        let png = libpngEncode(width: 3, height: 1, format: LibpngFormat.linear | LibpngFormat.alpha, samples: grayAlpha)
        let image = try PNGDecoder.decode(png, path: "ga16.png")
        #expect(image.bitDepth == .sixteen)
        let gray = values(image)
        #expect(gray[0] == 40001 && gray[1] == 0)
        #expect(abs(gray[2] - 20000) <= 1)
    }
}
