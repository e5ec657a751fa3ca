import Foundation
import PhantomImaging
import Testing

/// The DICOM reader against `Tests/Fixtures/dicom/`: files made by pydicom (and DCMTK's
/// dcmcjpeg for JPEG lossless), with the display values pydicom's modality LUT and VOI
/// windowing give (`Tests/Fixtures/make_dicom_fixtures.py`).
@Suite struct DICOMTests {
    struct Case: Decodable {
        let file: String
        let window: String
        let bits: Int
        let columns: Int
        let rows: Int
        let frames: [[Int]]?
    }

    static let folder = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Fixtures/dicom")
    static let cases: [String: Case] = {
        let data = try! Data(contentsOf: folder.appendingPathComponent("expected.json"))
        return try! JSONDecoder().decode([String: Case].self, from: data)
    }()

    static func path(_ name: String) -> String { folder.appendingPathComponent(name).path }

    static func values(_ image: GrayImage) -> [Int] {
        switch image.samples {
        case .uint8(let samples): samples.map(Int.init)
        case .uint16(let samples): samples.map(Int.init)
        }
    }

    /// Rescale, window (the file's or a fixed one), MONOCHROME1, 12 bits stored, several
    /// frames, RLE and JPEG lossless, colour, and two real scans (pydicom's CT_small and
    /// MR_small, whose preambles also hold a TIFF header): every value within one output step of
    /// pydicom's, at 8 and at 16 bits (rounding; measured: at most 1).
    @Test(arguments: ["ct_window_file", "ct_window_fixed", "ct_jpeg_lossless", "slope_12bit", "mono1_8bit",
                      "multiframe_8bit", "multiframe_rle", "rgb_8bit", "CT_small", "MR_small"])
    func framesMatchPydicom(_ name: String) throws {
        let fixture = try #require(Self.cases[name])
        let window = try #require(DICOMWindow(fixture.window))
        let bytes = Array(try Data(contentsOf: Self.folder.appendingPathComponent(fixture.file)))
        let frames = try DICOMDecoder.decode(bytes, path: fixture.file, window: window)
        let expected = try #require(fixture.frames)
        #expect(frames.count == expected.count)
        for (frame, reference) in zip(frames, expected) {
            #expect(frame.width == fixture.columns && frame.height == fixture.rows)
            #expect(frame.bitDepth.rawValue == fixture.bits)
            let worst = zip(Self.values(frame), reference).map { abs($0 - $1) }.max() ?? .max
            #expect(worst <= 1, "\(name): largest difference \(worst)")
        }
    }

    /// Without a window in the file, the auto window spans the bulk of the values: one
    /// extreme pixel does not squash the rest into a few grey levels.
    @Test func autoWindowIgnoresAnExtremePixel() throws {
        let frame = try #require(try DICOMDecoder.decode(Array(Data(contentsOf: URL(fileURLWithPath: Self.path("mr_no_window.dcm")))),
                                                          path: "mr_no_window.dcm").first)
        let values = Self.values(frame)
        #expect(values.first == 65535)                    // the extreme pixel saturates
        let rest = Array(values.dropFirst())
        #expect(rest.min()! == 0)
        #expect(Set(rest).count > 80)                     // the ramp keeps its steps
        #expect(zip(rest, rest.dropFirst()).allSatisfy { $0 <= $1 })   // and its order
    }

    @Test func recognisedBySignatureAndExtension() throws {
        let bytes = Array(try Data(contentsOf: URL(fileURLWithPath: Self.path("ct_window_file.dcm"))))
        #expect(ImageFormat(signatureOf: bytes) == .dicom)
        #expect(ImageFormat(fileName: "IMG0001.DCM") == .dicom)
        #expect(try ImageSource.decode(bytes, path: "IM0001").count == 1)
    }

    @Test func badFilesAreErrorsNamingTheFile() throws {
        let good = Array(try Data(contentsOf: URL(fileURLWithPath: Self.path("ct_window_file.dcm"))))
        let truncated = Array(good.prefix(good.count - 200))
        let notImage = Array(try Data(contentsOf: URL(fileURLWithPath: Self.path("no_pixels.dcm"))))
        for (bytes, reason) in [(truncated, ""), (notImage, "without pixel data"), ([UInt8](), "empty"),
                                (Array(repeating: 0, count: 128) + Array("DICM".utf8) + [1, 2, 3], "")] {
            #expect {
                _ = try DICOMDecoder.decode(bytes, path: "scan.dcm")
            } throws: { error in
                guard let error = error as? ImagingError else { return false }
                return error.path == "scan.dcm" && (reason.isEmpty || error.reason.contains(reason))
            }
        }
        #expect(throws: ImagingError.self) {
            _ = try DICOMDecoder.decode(good, path: "big.dcm", maxPixels: 100)   // 320 pixels
        }
    }

    @Test func windowArguments() {
        #expect(DICOMWindow("40,400") == .fixed(center: 40, width: 400))
        #expect(DICOMWindow("auto") == .auto)
        #expect(DICOMWindow("file") == .file)
        for bad in ["40", "40,0", "a,b", "40,400,1", ""] { #expect(DICOMWindow(bad) == nil) }
    }

    /// A hospital export names files by number: a file without an extension that starts
    /// with the DICOM preamble belongs to an image folder; other extension-less files do not.
    @Test func extensionlessDICOMFilesJoinAFolder() throws {
        try withTemporaryDirectory { root in
            let series = root + "/ct"
            try FileManager.default.createDirectory(atPath: series, withIntermediateDirectories: true)
            try FileManager.default.copyItem(atPath: Self.path("ct_window_file.dcm"), toPath: series + "/IM0001")
            try Data("notes".utf8).write(to: URL(fileURLWithPath: series + "/README"))
            let dataset = try ImageFolderDataset.load(root: root, resolution: 16)
            #expect(dataset.count == 1)
        }
    }

    /// The window given to an image folder reaches its DICOM files.
    @Test func folderReadingOptionsReachTheDecoder() throws {
        try withTemporaryDirectory { root in
            try FileManager.default.createDirectory(atPath: root + "/ct", withIntermediateDirectories: true)
            try FileManager.default.copyItem(atPath: Self.path("CT_small.dcm"), toPath: root + "/ct/a.dcm")
            let brain = try ImageFolderDataset.load(root: root, resolution: 32,
                                                   reading: ImageReadOptions(dicomWindow: .fixed(center: 40, width: 80)))
            let tissue = try ImageFolderDataset.load(root: root, resolution: 32,
                                                    reading: ImageReadOptions(dicomWindow: .fixed(center: 40, width: 400)))
            #expect(brain.image(at: 0) != tissue.image(at: 0))
        }
    }

    /// A synthetic image written as DICOM reads back with the same pixels, says it is
    /// synthetic, and carries UIDs that the run fixes and the image varies.
    @Test(arguments: [BitDepth.eight, .sixteen])
    func syntheticDICOMRoundTrips(_ depth: BitDepth) throws {
        let values = (0..<(12 * 10)).map { Float($0) / 119 * 2 - 1 }
        let image = GrayImage(width: 12, height: 10, bitDepth: depth, floats: values)
        let identity = SyntheticImageIdentity(runKey: "model|seed 1", className: "ct_axial", seriesNumber: 1, number: 4,
                                              derivation: "test")
        try withTemporaryDirectory { root in
            let path = root + "/a.dcm"
            try DICOMEncoder.write(image, identity: identity, softwareVersion: "Phantom test", to: path)
            let bytes = Array(try Data(contentsOf: URL(fileURLWithPath: path)))
            // The identity window of the stored range gives back the stored samples.
            let full: DICOMWindow = depth == .eight ? .fixed(center: 128, width: 256) : .fixed(center: 32768, width: 65536)
            let back = try #require(try DICOMDecoder.decode(bytes, path: path, window: full).first)
            #expect(back == image)
            let text = String(decoding: bytes.map { $0 == 0 ? 32 : $0 }, as: UTF8.self)
            for marker in ["SYN", "DERIVED\\SECONDARY", "SYNTHETIC^PHANTOM", identity.instanceUID, identity.studyUID] {
                #expect(text.contains(marker), "missing \(marker)")
            }
        }
        let again = SyntheticImageIdentity(runKey: "model|seed 1", className: "ct_axial", seriesNumber: 1, number: 4, derivation: "test")
        let other = SyntheticImageIdentity(runKey: "model|seed 1", className: "ct_axial", seriesNumber: 1, number: 5, derivation: "test")
        let otherRun = SyntheticImageIdentity(runKey: "model|seed 2", className: "ct_axial", seriesNumber: 1, number: 4, derivation: "test")
        #expect(again == identity)
        #expect(other.studyUID == identity.studyUID && other.seriesUID == identity.seriesUID && other.instanceUID != identity.instanceUID)
        #expect(otherRun.studyUID != identity.studyUID)
        for uid in [identity.studyUID, identity.seriesUID, identity.instanceUID] {
            #expect(uid.hasPrefix("2.25.") && uid.count <= 64 && uid.allSatisfy { $0.isNumber || $0 == "." })
        }
    }

    /// A sampled image's identity: the same settings give the same UIDs; a re-drawn image
    /// (another image seed) keeps its series but gets its own instance UID.
    @Test func sampledImageIdentity() {
        func identity(imageSeed: UInt64) -> SyntheticImageIdentity {
            SyntheticImageIdentity(sampledFrom: "model", modelSHA256: "ab", seed: 1, imageSeed: imageSeed, sampler: "dpmpp",
                                   steps: 25, eta: 0, guidance: 2, className: "ct_axial", label: 0, number: 3, noiseIndex: 3)
        }
        #expect(identity(imageSeed: 1) == identity(imageSeed: 1))
        #expect(identity(imageSeed: 2).seriesUID == identity(imageSeed: 1).seriesUID)
        #expect(identity(imageSeed: 2).instanceUID != identity(imageSeed: 1).instanceUID)
        #expect(identity(imageSeed: 1).seriesNumber == 1 && identity(imageSeed: 1).instanceNumber == 4)
        #expect(identity(imageSeed: 1).derivation.contains("sha256 ab") && identity(imageSeed: 1).derivation.contains("not an image of a patient"))
        let autoguided = SyntheticImageIdentity(sampledFrom: "model", modelSHA256: "ab", seed: 1, imageSeed: 1, sampler: "dpmpp",
                                                steps: 25, eta: 0, guidance: 2, autoguidance: "2 by guide sha256 cd",
                                                className: "ct_axial", label: 0, number: 3, noiseIndex: 3)
        #expect(autoguided.studyUID != identity(imageSeed: 1).studyUID)
        #expect(autoguided.derivation.contains("guidance 2.0, autoguidance 2 by guide sha256 cd;"))
        let limited = SyntheticImageIdentity(sampledFrom: "model", modelSHA256: "ab", seed: 1, imageSeed: 1, sampler: "dpmpp",
                                             steps: 25, eta: 0, guidance: 2, autoguidance: "2 by guide sha256 cd",
                                             guidanceInterval: 0...10, className: "ct_axial", label: 0, number: 3, noiseIndex: 3)
        #expect(limited.studyUID != autoguided.studyUID)
        #expect(limited.derivation.contains("autoguidance 2 by guide sha256 cd, guided at sigma 0.0 to 10.0;"))
    }
}
