import CBLAS
import CPNG
import Foundation
import Testing

/// The two system libraries link and behave: a small sgemm and a PNG round trip
/// through libpng's simplified API, with no Phantom code in between.
@Suite struct SystemLibrarySmokeTests {
    @Test func sgemmMultipliesASmallMatrix() {
        // A = [[1,2,3],[4,5,6]] (2x3), B = [[7,8],[9,10],[11,12]] (3x2).
        let a: [Float] = [1, 2, 3, 4, 5, 6]
        let b: [Float] = [7, 8, 9, 10, 11, 12]
        var c = [Float](repeating: -1, count: 4)
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, 2, 2, 3, 1, a, 3, b, 2, 0, &c, 2)
        #expect(c == [58, 64, 139, 154])
    }

    @Test func libpngWritesAndReadsAGrayImage() throws {
        let width: UInt32 = 5, height: UInt32 = 3
        let pixels: [UInt8] = (0..<15).map { UInt8($0 * 17) }
        var image = png_image()
        image.version = UInt32(PNG_IMAGE_VERSION)
        image.width = width
        image.height = height
        image.format = UInt32(PNG_FORMAT_GRAY)
        var size: Int = 0
        // First call measures, second call writes.
        #expect(png_image_write_to_memory(&image, nil, &size, 0, pixels, 0, nil) != 0)
        var encoded = [UInt8](repeating: 0, count: size)
        #expect(png_image_write_to_memory(&image, &encoded, &size, 0, pixels, 0, nil) != 0)

        var reader = png_image()
        reader.version = UInt32(PNG_IMAGE_VERSION)
        #expect(png_image_begin_read_from_memory(&reader, encoded, size) != 0)
        #expect(reader.width == width && reader.height == height)
        reader.format = UInt32(PNG_FORMAT_GRAY)
        var decoded = [UInt8](repeating: 0, count: pixels.count)
        #expect(png_image_finish_read(&reader, nil, &decoded, 0, nil) != 0)
        #expect(decoded == pixels)
    }
}
