import Foundation
import PhantomImaging
import Testing

/// `ImageFolderDataset.export(to:)`: the images training holds, as PNGs in the same layout.
@Suite struct DatasetExportTests {
    @Test func exportNames() {
        #expect(ImageFolderDataset.exportName(of: "mri/head.nii.gz#axial-042") == "mri/head-axial-042.png")
        #expect(ImageFolderDataset.exportName(of: "ct/IM0001") == "ct/IM0001.png")
        #expect(ImageFolderDataset.exportName(of: "xray/stack.TIF#2") == "xray/stack-2.png")
        #expect(ImageFolderDataset.exportName(of: "a.png") == "a.png")
    }

    /// Every image of a mixed folder is written once, and reads back as the dataset held it;
    /// the manifest names its class and source.
    @Test func exportedImagesAreWhatTrainingHolds() throws {
        try withTemporaryDirectory { root in
            let source = root + "/in", out = root + "/out"
            try FormatReportTests.mixedFolder(source)
            let options = ImageReadOptions(wholeSlide: WholeSlideOptions(tileSize: 64, maxTilesPerSlide: 3))
            let dataset = try ImageFolderDataset.load(root: source, resolution: 16, reading: options)
            try dataset.export(to: out)

            let manifest = try String(contentsOfFile: out + "/manifest.csv", encoding: .utf8)
                .split(separator: "\n").map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
            #expect(manifest.first == ["file", "class", "source"])
            let rows = manifest.dropFirst()
            #expect(rows.count == dataset.count)
            for (index, row) in zip(0..<dataset.count, rows) {
                #expect(row[2] == dataset.relativePath(at: index))
                #expect(row[1] == dataset.classNames[dataset.label(at: index)!])
                #expect(row[0] == ImageFolderDataset.exportName(of: row[2]))
                #expect(try ImageSource.read(path: out + "/" + row[0]) == [dataset.image(at: index)], "\(row[0])")
            }
            // Trained on again, the export is the same dataset.
            let again = try ImageFolderDataset.load(root: out, resolution: 16)
            #expect(again.classNames == dataset.classNames && again.count == dataset.count)
            #expect(again.bitDepth == dataset.bitDepth)
        }
    }

    @Test func refusesToOverwriteOrMerge() throws {
        try withTemporaryDirectory { root in
            let image = try PNGEncoder.encode(uniformImage(width: 4, height: 4, value: 1))
            try writeFile(image, at: "in/x/a.png", in: root)
            try writeFile(image, at: "busy/keep.txt", in: root)
            let dataset = try ImageFolderDataset.load(root: root + "/in", resolution: 4)
            #expect(throws: ImagingError.self) { try dataset.export(to: root + "/busy") }
            #expect(FileManager.default.fileExists(atPath: root + "/busy/keep.txt"))

            try writeFile(try ImageFixtures.bytes("jpeg_gray.jpg"), at: "in/x/a.jpg", in: root)
            let clash = try ImageFolderDataset.load(root: root + "/in", resolution: 4)
            let error = #expect(throws: ImagingError.self) { try clash.export(to: root + "/out") }
            #expect(error?.reason.contains("x/a.jpg") == true && error?.reason.contains("x/a.png") == true)
            #expect(!FileManager.default.fileExists(atPath: root + "/out/x/a.png"))
        }
    }
}
