import Foundation
import PhantomImaging
import PhantomPrivacy
import Testing

/// ``AuditJob``: two folders in, a planted copy found, the report and sheets written, and
/// a training set of mixed sizes refused without a resolution.
@Suite struct AuditJobTests {
    /// Writes `images` (values in [0, 1]) as `folder/<n>.png`, `side`×`side`.
    static func write(_ images: [[Float]], side: Int, to folder: URL) throws {
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        for (n, pixels) in images.enumerated() {
            try PNGEncoder.write(GrayImage(width: side, height: side, bitDepth: .eight, floats: pixels),
                                 to: folder.appendingPathComponent("\(n).png").path)
        }
    }

    static func randomPixels(count: Int, side: Int, seed: UInt64) -> [[Float]] {
        var random = SplitMix(seed: seed)
        return (0..<count).map { _ in (0..<(side * side)).map { _ in random.uniform() } }
    }

    @Test func aPlantedCopyIsFlaggedAndTheOutputsAreWritten() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("audit-job-\(UInt64.random(in: 0..<UInt64.max))")
        defer { try? FileManager.default.removeItem(at: root) }
        let training = Self.randomPixels(count: 9, side: 16, seed: 1)   // fewer than 10: file order is index order
        let fresh = Self.randomPixels(count: 5, side: 16, seed: 2)
        try Self.write(training, side: 16, to: root.appendingPathComponent("train/x"))
        try Self.write(fresh + [training[4]], side: 16, to: root.appendingPathComponent("samples"))

        var request = AuditJob.Request(train: root.appendingPathComponent("train").path,
                                       samples: root.appendingPathComponent("samples").path)
        request.configuration = AuditConfiguration(neighbourCount: 5)
        request.report = root.appendingPathComponent("report.json").path
        request.sheet = root.appendingPathComponent("sheet.png").path
        request.neighboursSheet = root.appendingPathComponent("neighbours.png").path
        var compared: [Int] = []
        let result = try AuditJob.run(request, onEvent: { event in
            if case let .compared(samples, training, side, _) = event { compared = [samples, training, side] }
        })
        #expect(compared == [6, 9, 16])
        #expect(result.flagged == [5])
        #expect(result.samples[5].nearest.training == 4)
        let report = try #require(try JSONSerialization.jsonObject(
            with: Data(contentsOf: URL(fileURLWithPath: request.report!))) as? [String: Any])
        #expect(report.description.contains("5.png"))
        for sheet in [request.sheet!, request.neighboursSheet!] {
            #expect(FileManager.default.fileExists(atPath: sheet))
        }
    }

    @Test func trainingImagesOfSeveralSizesNeedAResolution() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("audit-job-\(UInt64.random(in: 0..<UInt64.max))")
        defer { try? FileManager.default.removeItem(at: root) }
        try Self.write(Self.randomPixels(count: 2, side: 16, seed: 1), side: 16, to: root.appendingPathComponent("train/a"))
        try Self.write(Self.randomPixels(count: 2, side: 24, seed: 2), side: 24, to: root.appendingPathComponent("train/b"))
        try Self.write(Self.randomPixels(count: 2, side: 16, seed: 3), side: 16, to: root.appendingPathComponent("samples"))
        var request = AuditJob.Request(train: root.appendingPathComponent("train").path,
                                       samples: root.appendingPathComponent("samples").path)
        #expect(throws: AuditError.self) { try AuditJob.run(request) }
        request.resolution = 16
        #expect(try AuditJob.run(request).samples.count == 2)
    }
}
