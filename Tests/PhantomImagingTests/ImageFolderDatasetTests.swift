import Foundation
import Testing
import PhantomImaging

@Suite struct ImageFolderDatasetTests {
    /// Writes an 8- or 16-bit uniform PNG at `root/relativePath`.
    private func writePNG(
        _ relativePath: String, in root: String, width: Int = 8, height: Int = 8, value: Int,
        bitDepth: BitDepth = .eight
    ) throws {
        let image = uniformImage(width: width, height: height, value: value, bitDepth: bitDepth)
        try writeFile(try PNGEncoder.encode(image), at: relativePath, in: root)
    }

    /// The first half of a valid PNG.
    private func writeTruncatedPNG(_ relativePath: String, in root: String) throws {
        let samples = (0..<(32 * 32)).map { UInt8(truncatingIfNeeded: $0 &* 97) }
        let png = try PNGEncoder.encode(GrayImage(width: 32, height: 32, samples: .uint8(samples)))
        try writeFile(Array(png.prefix(png.count / 2)), at: relativePath, in: root)
    }

    @Test func classesComeFromSortedFirstLevelFoldersWithNestedFiles() throws {
        try withTemporaryDirectory { root in
            try writePNG("tumour/b.png", in: root, width: 16, height: 8, value: 10)
            try writePNG("healthy/scanner2/deep/a.png", in: root, value: 200)
            try writePNG("healthy/c.PNG", in: root, value: 100)
            try writeFile(Array("notes".utf8), at: "healthy/notes.txt", in: root)
            try writeFile(Array("x".utf8), at: "tumour/scanner/readme.md", in: root)
            try writePNG(".cache/hidden.png", in: root, value: 1)
            try writePNG("healthy/.hidden.png", in: root, value: 1)

            let dataset = try ImageFolderDataset.load(root: root, resolution: 4)
            #expect(dataset.classNames == ["healthy", "tumour"])
            #expect(dataset.count == 3)
            #expect((0..<3).map(dataset.relativePath(at:)) == ["healthy/c.PNG", "healthy/scanner2/deep/a.png", "tumour/b.png"])
            #expect((0..<3).map(dataset.label(at:)) == [0, 0, 1])
            #expect(dataset.bitDepth == .eight)
            #expect(dataset.floats(index: 1) == Array(repeating: Float(200) / 255 * 2 - 1, count: 16))
            #expect(dataset.image(at: 2) == uniformImage(width: 4, height: 4, value: 10))

            let report = dataset.report
            #expect(report.skippedNonPNGCount == 2)
            #expect(report.classes.map(\.imageCount) == [2, 1])
            #expect(report.sizeHistogram == [ImageSize(width: 8, height: 8): 2, ImageSize(width: 16, height: 8): 1])
            #expect(report.bitDepthHistogram == [.eight: 3])
            #expect(report.problems.isEmpty && report.ignored.isEmpty)
        }
    }

    @Test func flatFolderIsOneUnlabeledClass() throws {
        try withTemporaryDirectory { root in
            for index in 0..<3 { try writePNG("scan\(index).png", in: root, value: index * 50) }
            try writeFile(Array("x".utf8), at: "info.json", in: root)
            let dataset = try ImageFolderDataset.load(root: root, resolution: 2)
            #expect(dataset.count == 3)
            #expect(!dataset.isLabeled && dataset.classNames.isEmpty)
            #expect(dataset.label(at: 0) == nil)
            #expect(dataset.report.skippedNonPNGCount == 1)
            #expect(values(dataset.image(at: 2)) == [100, 100, 100, 100])
        }
    }

    @Test func rootPNGsBesideClassFoldersAreIgnoredAndListed() throws {
        try withTemporaryDirectory { root in
            try writePNG("a/one.png", in: root, value: 1)
            try writePNG("loose.png", in: root, value: 2)
            try FileManager.default.createDirectory(atPath: root + "/empty", withIntermediateDirectories: false)
            let dataset = try ImageFolderDataset.load(root: root, resolution: 2)
            #expect(dataset.classNames == ["a"])
            #expect(dataset.count == 1)
            #expect(dataset.report.ignored.map(\.path) == [root + "/loose.png"])
        }
    }

    @Test func mixedBitDepthsAreStoredAtSixteenBits() throws {
        try withTemporaryDirectory { root in
            try writePNG("a/eight.png", in: root, value: 100)
            try writePNG("b/sixteen.png", in: root, value: 40001, bitDepth: .sixteen)
            let dataset = try ImageFolderDataset.load(root: root, resolution: 2)
            #expect(dataset.bitDepth == .sixteen)
            #expect(values(dataset.image(at: 0)) == Array(repeating: 25700, count: 4))
            #expect(values(dataset.image(at: 1)) == Array(repeating: 40001, count: 4))
            #expect(abs(dataset.floats(index: 0)[0] - (Float(100) / 255 * 2 - 1)) < 1e-6)
            #expect(dataset.report.bitDepthHistogram == [.eight: 1, .sixteen: 1])
            #expect(dataset.report.storedBitDepth == .sixteen)
        }
    }

    @Test func writeAllFloatsConcatenatesEveryImage() throws {
        try withTemporaryDirectory { root in
            try writePNG("a/x.png", in: root, value: 0)
            try writePNG("a/y.png", in: root, value: 255)
            try writePNG("b/z.png", in: root, value: 51)
            let dataset = try ImageFolderDataset.load(root: root, resolution: 3)
            var all = [Float](repeating: .nan, count: dataset.count * dataset.floatsPerImage)
            all.withUnsafeMutableBufferPointer { dataset.writeAllFloats(into: $0.baseAddress!) }
            #expect(all == (0..<dataset.count).flatMap { dataset.floats(index: $0) })
            #expect(all.first == -1 && all[9] == 1)
        }
    }

    @Test func unreadablePNGFailsTheLoadUnlessSkipped() throws {
        try withTemporaryDirectory { root in
            try writePNG("a/good.png", in: root, value: 9)
            try writePNG("b/good.png", in: root, value: 9)
            try writeTruncatedPNG("b/nested/broken.png", in: root)
            let broken = root + "/b/nested/broken.png"

            let error = #expect(throws: ImagingError.self) { try ImageFolderDataset.load(root: root, resolution: 4) }
            #expect(error?.kind == .unreadableImages)
            #expect(error?.issues.map(\.path) == [broken])
            #expect(error?.issues.first?.reason.contains("truncated") == true)

            let dataset = try ImageFolderDataset.load(root: root, resolution: 4, skipBad: true)
            #expect(dataset.count == 2)
            #expect(dataset.report.problems.map(\.path) == [broken])
            #expect(dataset.report.classes.map(\.imageCount) == [1, 1])
        }
    }

    @Test func reportListsProblemsWithoutFailing() throws {
        try withTemporaryDirectory { root in
            try writeTruncatedPNG("only/broken.png", in: root)
            let report = try DatasetReport(folder: root, resolution: 4)
            #expect(report.imageCount == 0 && report.storedBitDepth == nil)
            #expect(report.problems.count == 1)
            #expect(throws: ImagingError.self) { try report.validate(skipBad: false) }
            let error = #expect(throws: ImagingError.self) { try report.validate(skipBad: true) }
            #expect(error?.kind == .noImages)
        }
    }

    @Test func emptyAndMissingFoldersAreClearErrors() throws {
        try withTemporaryDirectory { root in
            let empty = #expect(throws: ImagingError.self) { try ImageFolderDataset.load(root: root, resolution: 4) }
            #expect(empty?.kind == .noImages)
            #expect(empty?.path == root)

            try writeFile(Array("x".utf8), at: "sub/readme.txt", in: root)
            let noPNG = #expect(throws: ImagingError.self) { try ImageFolderDataset.load(root: root, resolution: 4) }
            #expect(noPNG?.kind == .noImages)

            let missingPath = root + "/does-not-exist"
            let missing = #expect(throws: ImagingError.self) { try ImageFolderDataset.load(root: missingPath, resolution: 4) }
            #expect(missing?.kind == .unreadable)
            #expect(missing?.path == missingPath)
        }
    }
}
