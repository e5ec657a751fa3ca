import Foundation
import PhantomImaging
import Testing

/// `DatasetReport.formats`: per format, the files and images read, and what DICOM, NIfTI
/// and whole-slide reading chose.
@Suite struct FormatReportTests {
    /// A folder of every kind: two DICOM files (one with its own window, one without), a
    /// NIfTI volume with 4 of 6 axial slices in the foreground, a slide cut into 64-pixel
    /// tiles with a cap of 3, and a PNG.
    static func mixedFolder(_ root: String) throws {
        let files = FileManager.default
        try files.createDirectory(atPath: root + "/ct", withIntermediateDirectories: true)
        try files.copyItem(atPath: DICOMTests.path("ct_window_file.dcm"), toPath: root + "/ct/a.dcm")
        try files.copyItem(atPath: DICOMTests.path("mr_no_window.dcm"), toPath: root + "/ct/b.dcm")
        var values = [Double](repeating: 0, count: 8 * 8 * 6)
        for index in (64 * 1)..<(64 * 5) { values[index] = Double(100 + index % 7) }
        try writeFile(NIfTIFixture(shape: [8, 8, 6], values: values).bytes(), at: "mri/head.nii", in: root)
        try files.createDirectory(atPath: root + "/slide", withIntermediateDirectories: true)
        try files.copyItem(atPath: WholeSlideTests.path, toPath: root + "/slide/case.tif")
        try writeFile(try PNGEncoder.encode(uniformImage(width: 8, height: 8, value: 9)), at: "xray/a.png", in: root)
    }

    @Test func eachFormatSaysWhatItRead() throws {
        try withTemporaryDirectory { root in
            try Self.mixedFolder(root)
            let options = ImageReadOptions(wholeSlide: WholeSlideOptions(tileSize: 64, maxTilesPerSlide: 3))
            let formats = try DatasetReport(folder: root, resolution: 8, reading: options).formats
            #expect(Set(formats.keys) == [.dicom, .nifti, .wholeSlide, .png])

            #expect(formats[.dicom]?.files == 2)
            // ct_window_file.dcm holds Window Center/Width 40/400; mr_no_window.dcm falls back.
            let own = DICOMAppliedWindow(kind: .file, center: 40, width: 400)
            #expect(formats[.dicom]?.windows == [own: 1, .percentiles: 1])
            #expect(own.description == "file's own 40/400" && DICOMAppliedWindow.percentiles.description == "percentiles")
            #expect(formats[.nifti]?.files == 1)
            #expect(formats[.nifti]?.slices == SliceTally(considered: 6, kept: 4))
            #expect(formats[.nifti]?.images == 4)
            let tiles = try #require(formats[.wholeSlide]?.tiles)
            let uncapped = try WholeSlideTests.tiles(WholeSlideOptions(tileSize: 64, maxTilesPerSlide: nil)).count
            #expect(tiles == TileTally(onGrid: 64, tissue: uncapped, kept: 3))
            #expect(formats[.wholeSlide]?.images == 3)
            #expect(formats[.png]?.files == 1 && formats[.png]?.images == 1)

            let fixed = ImageReadOptions(dicomWindow: .fixed(center: 40, width: 400))
            #expect(try DatasetReport(folder: root, resolution: 8, reading: fixed).formats[.dicom]?.windows
                    == [DICOMAppliedWindow(kind: .fixed, center: 40, width: 400): 2])
        }
    }
}
