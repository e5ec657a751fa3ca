import Foundation
import Testing
import PhantomImaging

@Suite struct PreprocessingTests {
    @Test func shrinkingAveragesEachBlockExactly() {
        let image = GrayImage(width: 4, height: 4, samples: .uint8([
            0, 2, 10, 20,
            4, 6, 30, 40,
            100, 100, 7, 8,
            100, 101, 9, 9,
        ]))
        let small = image.resized(width: 2, height: 2)
        // Block means 3, 25, 100.25 and 8.25, rounded to nearest.
        #expect(values(small) == [3, 25, 100, 8])
        #expect(small.bitDepth == .eight)
    }

    @Test func shrinkingWeighsPartlyCoveredPixelsByCoverage() {
        // Output pixel 0 covers source 0 fully and half of source 1: (0 + 45) / 1.5 = 30.
        let image = GrayImage(width: 3, height: 1, samples: .uint8([0, 90, 180]))
        #expect(values(image.resized(width: 2, height: 1)) == [30, 150])
    }

    @Test func shrinkingSixteenBitKeepsFullPrecision() {
        let image = GrayImage(width: 4, height: 1, samples: .uint16([65535, 65534, 1, 3]))
        let small = image.resized(width: 2, height: 1)
        #expect(small.bitDepth == .sixteen)
        #expect(values(small) == [65535, 2])  // 65534.5 and 2 exactly.
    }

    @Test func enlargingInterpolatesBilinearlyBetweenPixelCentres() {
        let image = GrayImage(width: 2, height: 2, samples: .uint8([0, 200, 100, 40]))
        let large = image.resized(width: 4, height: 4)
        #expect(values(large) == [
            0, 50, 150, 200,
            25, 59, 126, 160,
            75, 76, 79, 80,
            100, 85, 55, 40,
        ])
    }

    @Test func centreCropTakesTheMiddleSquare() {
        let wide = GrayImage(width: 6, height: 4, samples: .uint8((0..<24).map { UInt8($0) }))
        let square = wide.centerCroppedToSquare()
        #expect(square.width == 4 && square.height == 4)
        #expect(values(square) == [1, 2, 3, 4, 7, 8, 9, 10, 13, 14, 15, 16, 19, 20, 21, 22])

        let tall = GrayImage(width: 2, height: 5, samples: .uint16((0..<10).map { UInt16($0) * 1000 }))
        #expect(values(tall.centerCroppedToSquare()) == [2000, 3000, 4000, 5000])
    }

    @Test func centerSquareCropsThenResizes() {
        let wide = GrayImage(width: 6, height: 4, samples: .uint8((0..<24).map { UInt8($0) }))
        let prepared = wide.centerSquare(resizedTo: 2)
        // Means of the 2x2 blocks of the cropped 4x4: (1+2+7+8)/4 = 4.5 -> 5, …
        #expect(values(prepared) == [5, 7, 17, 19])
    }

    /// Padding centres the whole image on black; the fit reaches the dataset.
    @Test func padKeepsTheWholeImageOnBlack() throws {
        let wide = GrayImage(width: 3, height: 1, samples: .uint8([10, 20, 30]))
        #expect(values(wide.paddedToSquare()) == [0, 0, 0, 10, 20, 30, 0, 0, 0])
        let tall = GrayImage(width: 1, height: 2, samples: .uint16([1000, 2000]))
        #expect(values(tall.paddedToSquare()) == [1000, 0, 2000, 0])
        #expect(wide.square(.pad, resizedTo: 3) == wide.paddedToSquare())
        #expect(wide.square(.crop, resizedTo: 1) == GrayImage(width: 1, height: 1, samples: .uint8([20])))

        try withTemporaryDirectory { root in
            let image = GrayImage(width: 4, height: 2, samples: .uint8([9, 9, 9, 9, 9, 9, 9, 9]))
            try writeFile(try PNGEncoder.encode(image), at: "a/wide.png", in: root)
            let padded = try ImageFolderDataset.load(root: root, resolution: 4, reading: ImageReadOptions(squareFit: .pad))
            #expect(values(padded.image(at: 0)) == [0, 0, 0, 0] + [9, 9, 9, 9] + [9, 9, 9, 9] + [0, 0, 0, 0])
            let cropped = try ImageFolderDataset.load(root: root, resolution: 4)
            #expect(values(cropped.image(at: 0)) == Array(repeating: 9, count: 16))
        }
    }

    /// Options stored by earlier versions (in a run's `run.json`) read back: no fit means a
    /// crop, a single `sliceRange` one range, no value window the percentiles.
    @Test func storedReadingOptionsOfEarlierVersionsReadBack() throws {
        let old = try JSONDecoder().decode(ImageReadOptions.self, from: Data(#"{"dicomWindow":{"auto":{}}}"#.utf8))
        #expect(old.squareFit == .crop && old.dicomWindow == .auto)
        let nifti = #"{"nifti":{"planes":["coronal"],"sliceRange":[0.2,0.8],"minForegroundFraction":0.3,"foregroundLevel":0.1,"windowPercentiles":[0.5,99.5]}}"#
        let sliced = try JSONDecoder().decode(ImageReadOptions.self, from: Data(nifti.utf8)).nifti
        #expect(sliced == NIfTISliceOptions(planes: [.coronal], sliceRanges: [0.2...0.8], minForegroundFraction: 0.3))
        let slabs = NIfTISliceOptions(sliceRanges: [0...0.2, 0.4...1], valueWindow: -160...240)
        #expect(try JSONDecoder().decode(NIfTISliceOptions.self, from: JSONEncoder().encode(slabs)) == slabs)
        let padded = ImageReadOptions(squareFit: .pad)
        #expect(try JSONDecoder().decode(ImageReadOptions.self, from: JSONEncoder().encode(padded)) == padded)
    }

    @Test func floatMappingUsesTheFullRangeOfTheBitDepth() {
        let eight = GrayImage(width: 3, height: 1, samples: .uint8([0, 255, 51]))
        #expect(eight.floats() == [-1, 1, Float(51) / 255 * 2 - 1])
        let sixteen = GrayImage(width: 3, height: 1, samples: .uint16([0, 65535, 255]))
        let floats = sixteen.floats()
        #expect(floats[0] == -1 && floats[1] == 1)
        #expect(abs(floats[2] - (-0.99222)) < 1e-5)  // 255 is dark at 16 bits.
    }

    @Test func floatsMapBackWithRoundingAndClamping() {
        let floats: [Float] = [-1, 1, 0, 2, -3, .nan, 0.5]
        #expect(values(GrayImage(width: 7, height: 1, bitDepth: .eight, floats: floats)) == [0, 255, 128, 255, 0, 0, 191])
        #expect(values(GrayImage(width: 7, height: 1, bitDepth: .sixteen, floats: floats))
            == [0, 65535, 32768, 65535, 0, 0, 49151])
    }

    @Test func everySampleSurvivesTheTripThroughFloats() {
        let eight = GrayImage(width: 256, height: 1, samples: .uint8((0...255).map { UInt8($0) }))
        #expect(GrayImage(width: 256, height: 1, bitDepth: .eight, floats: eight.floats()) == eight)
        let sixteen = GrayImage(width: 256, height: 256, samples: .uint16((0...65535).map { UInt16($0) }))
        #expect(GrayImage(width: 256, height: 256, bitDepth: .sixteen, floats: sixteen.floats()) == sixteen)
    }

    @Test func writeFloatsFillsOnlyItsSlotOfABatchBuffer() {
        let image = GrayImage(width: 2, height: 1, samples: .uint8([255, 0]))
        var batch = [Float](repeating: 7, count: 6)
        batch.withUnsafeMutableBufferPointer { image.writeFloats(into: $0.baseAddress! + 2) }
        #expect(batch == [7, 7, 1, -1, 7, 7])
    }
}

@Suite struct ImageGridTests {
    @Test func tilesImagesWithGaps() {
        let black = [Float](repeating: -1, count: 4), white = [Float](repeating: 1, count: 4)
        let grid = ImageGrid.tile([black, white, black], side: 2, columns: 2, gap: 1, background: 0)
        #expect(grid.width == 5 && grid.height == 5)
        #expect(grid[x: 0, y: 0] == 0 && grid[x: 3, y: 0] == 255)
        #expect(grid[x: 2, y: 0] == 128)  // the gap, background 0 → mid-gray
        #expect(grid[x: 0, y: 3] == 0 && grid[x: 3, y: 3] == 128)  // missing fourth tile is background
    }
}
