import Foundation
import PhantomImaging
import PhantomPrivacy
import Testing

/// The contact sheet and the JSON report.
@Suite struct AuditOutputTests {
    @Test func contactSheetPlacesPairsOnGray() throws {
        let black = AuditImages(side: 4, pixels: [Float](repeating: -1, count: 2 * 16))
        let white = AuditImages(side: 4, pixels: [Float](repeating: 1, count: 16))
        let sheet = try #require(ContactSheet.make(pairs: [(0, 0), (1, 0)], samples: black, training: white))
        let gap = ContactSheet.cellGap, pair = 2 * 4 + ContactSheet.pairGap
        #expect(sheet.width == gap + 2 * (pair + gap) && sheet.height == gap + 4 + gap)
        #expect(sheet.bitDepth == .eight)
        #expect(sheet[x: gap, y: gap] == 0)                      // first sample
        #expect(sheet[x: gap + 4, y: gap] == 128)                // gap inside the pair
        #expect(sheet[x: gap + 4 + ContactSheet.pairGap, y: gap] == 255)  // its training image
        #expect(sheet[x: gap + pair + gap, y: gap + 3] == 0)     // second sample
        #expect(sheet[x: 0, y: 0] == 128)
        #expect(ContactSheet.make(pairs: [], samples: black, training: white) == nil)
    }

    @Test func reportNamesFilesAndRoundTrips() throws {
        let training = randomImages(count: 5, side: 8, seed: 1)
        let fresh = randomImages(count: 1, side: 8, seed: 2)
        let samples = AuditImages(side: 8, pixels: Array(training.image(at: 2)) + fresh.pixels)
        let result = try MemorizationAudit.run(samples: samples, training: training)
        let report = AuditReport(
            result: result, resolution: 8,
            samplesFolder: "out", sampleFiles: ["a.png", "b.png"],
            trainingFolder: "data", trainingFiles: (0..<5).map { "class/\($0).png" },
            notes: ["only 5 training images"])
        let decoded = try JSONDecoder().decode(AuditReport.self, from: report.json())
        #expect(decoded.summary == "1 of 2 samples flagged (50.0%)")
        #expect(decoded.samples[0].file == "a.png" && decoded.samples[0].flagged)
        let nearest = decoded.samples[0].nearest
        #expect(nearest.file == "class/2.png" && nearest.distance == 0 && nearest.ratio == 0)
        #expect(decoded.neighbourCount == 50 && decoded.neighbourCountUsed == 5)
        #expect(decoded.trainingNearestDistances?.count == 5 && decoded.notes == ["only 5 training images"])
        let text = try #require(String(data: report.json(), encoding: .utf8))
        #expect(text.contains("\"file\" : \"class/2.png\""))
    }
}
